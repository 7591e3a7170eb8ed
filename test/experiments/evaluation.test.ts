import { describe, expect, it } from "vitest";

import type { TaskInfo } from "../../datasets/index.js";
import { metricName, scoreTask, type PredictionRecord } from "../../src/experiments/evaluation.js";

function info(overrides: Partial<TaskInfo>): TaskInfo {
  return { name: "task", role: "heldout", metric: "accuracy", source: "test", trainCount: 0, testCount: 0, ...overrides };
}

function predicted(rows: { prediction: string; gold: string; references?: string[]; ranked?: boolean }[]) {
  const records: PredictionRecord[] = rows.map((row, index) => ({
    task: "task",
    index,
    prediction: row.prediction,
    references: row.references ?? [row.gold],
    score: row.prediction === row.gold ? 1 : 0,
    ...(row.ranked === false ? {} : { choiceScores: [0, -1] }),
  }));
  return { predictions: rows.map((row) => row.prediction), golds: rows.map((row) => row.gold), records, estimatedFlops: 0 };
}

describe("scoreTask", () => {
  it("scores P3 by accuracy", () => {
    const rows = [
      { prediction: "yes", gold: "yes" },
      { prediction: "no", gold: "yes" },
      { prediction: "no", gold: "no" },
      { prediction: "no", gold: "no" },
    ];
    expect(scoreTask("p3", info({}), predicted(rows))).toBe(0.75);
  });

  it("scores MetaICL classification by macro-F1", () => {
    // a: recall 1, precision 2/3 -> 0.8; b: recall 1/2, precision 1 -> 2/3.
    const rows = [
      { prediction: "a", gold: "a" },
      { prediction: "a", gold: "a" },
      { prediction: "a", gold: "b" },
      { prediction: "b", gold: "b" },
    ];
    const score = scoreTask("metaicl/hr_to_lr", info({ taskType: "classification", metric: "macro-f1" }), predicted(rows));
    expect(score).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });

  it("scores other MetaICL tasks by accuracy", () => {
    const rows = [
      { prediction: "a", gold: "a" },
      { prediction: "a", gold: "b" },
    ];
    expect(scoreTask("metaicl/hr_to_lr", info({ taskType: "multi-choice", metric: "rouge-l" }), predicted(rows))).toBe(0.5);
  });

  it("scores generated MetaICL answers against every reference", () => {
    const rows = [{ prediction: " paris ", gold: "Paris", references: ["Paris", "paris"], ranked: false }];
    const result = predicted(rows);
    expect(scoreTask("metaicl/hr_to_lr", info({ taskType: "free-form" }), result)).toBe(1);
    expect(result.records[0]!.score).toBe(1);
  });

  it("scores S-NI by ROUGE-L over references", () => {
    // Instance 1: exact match (1.0); instance 2: best reference gives F 0.4 (see the ROUGE-L tests).
    const rows = [
      { prediction: "Paris", gold: "Paris", references: ["Lyon", "Paris"], ranked: false },
      { prediction: "running dogs", gold: "the dog runs", ranked: false },
    ];
    const result = predicted(rows);
    expect(scoreTask("sni/def", info({ metric: "rouge-l" }), result)).toBeCloseTo(0.7, 12);
    expect(result.records.map((record) => record.score)).toEqual([1, expect.closeTo(0.4, 12)]);
  });

  it("scores an empty S-NI prediction 0", () => {
    const result = predicted([{ prediction: "", gold: "an answer", ranked: false }]);
    expect(scoreTask("sni/def-2pos", info({ metric: "rouge-l" }), result)).toBe(0);
  });
});

describe("metricName", () => {
  it("names each dataset's metric", () => {
    expect(metricName("p3")).toBe("accuracy");
    expect(metricName("metaicl/non_nli_to_nli")).toBe("macro-f1/accuracy");
    expect(metricName("sni/def")).toBe("rouge-l");
  });
});
