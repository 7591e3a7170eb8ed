import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildReport, writeReport } from "../../src/report/build.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import type { Report, ReportTable } from "../../src/report/model.js";
import { SummaryError } from "../../src/report/summaries.js";
import { canonicalP3Task } from "../../src/report/task-columns.js";
import { entryOutputsDigest, evalSummary, mean, peftSummary, temporaryFolder, writeEntry, writeInputs } from "./artifact-fixtures.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const folders: string[] = [];

function scratch(prefix: string): string {
  const folder = temporaryFolder(prefix);
  folders.push(folder);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function table(report: Report, id: string): ReportTable {
  const found = report.tables.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`table ${id} missing`);
  return found;
}

const p3Tasks = ["super_glue/cb", "anli", "story_task"];
const methodScore = (methodIndex: number) => (taskIndex: number) => 31.25 + 7.5 * methodIndex + 3.125 * taskIndex;

describe("report from upstream manifests", () => {
  it("fills P3 cells from eval summaries", async () => {
    const artifacts = scratch("render");
    const summaries = [
      evalSummary("p3", "t5-mtf", p3Tasks, methodScore(0)),
      evalSummary("p3", "hyper-prefix", p3Tasks, methodScore(1), { hyperpretrainVariant: "prefix-and-suffix" }),
      evalSummary("p3", "hyper-prefix", p3Tasks, methodScore(2), { hyperpretrainSteps: 0 }),
    ];
    const inputs = writeInputs(artifacts, summaries);
    const report = await buildReport({ profile: "default", inputs, projectRoot });
    const p3 = table(report, "p3");

    // Known P3 tasks come first in the column order of HyperTuning's P3 tables (ANLI before CB), others after.
    expect(p3.columns.map((column) => column.label)).toEqual(["ANLI", "CB", "story_task"]);
    const hyperPrefix = p3.rows.find((row) => row.label === "HyperT5-Prefix")!;
    // The main row is the unswept evaluation, not the zero-step point of the hyperpretraining sweep.
    expect(hyperPrefix.cells!["anli"]).toBe(methodScore(1)(1));
    expect(hyperPrefix.cells!["super_glue/cb"]).toBe(methodScore(1)(0));
    expect(hyperPrefix.cells!.average).toBe(summaries[1]!.average);
    expect(hyperPrefix.reference).toBeUndefined();
    const lora = p3.rows.find((row) => row.label === "HyperT5-LoRA")!;
    expect(Object.values(lora.cells!).every((value) => value === null)).toBe(true);

    const markdown = renderMarkdown(report);
    const expectedRow = `| HyperT5-Prefix | ${methodScore(1)(1).toFixed(1)} | ${methodScore(1)(0).toFixed(1)} | ${methodScore(1)(2).toFixed(1)} | ${summaries[1]!.average.toFixed(1)} |`;
    expect(markdown).toContain(expectedRow);
    expect(markdown).toContain("| HyperT5-LoRA | — | — | — | — |");
    expect(markdown).toContain("— no result");
    expect(markdown).not.toContain("paper, table");
    expect(markdown).not.toContain("in a *paper* row");
  });

  it("takes the fully hyperpretrained run as main", async () => {
    const artifacts = scratch("render");
    // Hypermodel evaluations that record their steps: the main run has the most, the sweep stops short of it.
    const runs = [0, 2, 4].map((steps) =>
      evalSummary("p3", "hyper-prefix", p3Tasks, (task) => 20 + 3 * steps + task, { hyperpretrainSteps: steps, hyperpretrainVariant: "prefix-and-suffix" }),
    );
    const metaicl = evalSummary("metaicl/hr_to_lr", "hyper-prefix", ["task_a"], () => 12, { hyperpretrainSteps: 4 });
    const report = await buildReport({ profile: "default", inputs: writeInputs(artifacts, [...runs, metaicl]), projectRoot });
    expect(table(report, "p3").rows.find((row) => row.label === "HyperT5-Prefix")!.cells!.average).toBe(runs[2]!.average);
    expect(table(report, "metaicl").rows.find((row) => row.label === "HyperT5-Prefix")!.cells!["metaicl/hr_to_lr"]).toBe(12);
    // A single step count is no sweep, so MetaICL gets no figure.
    expect(report.plots.map((plot) => plot.id)).toEqual(["hyperpretrain-steps-p3"]);
    expect(report.plots[0]!.series[0]!.points.map((point) => point.x)).toEqual([0, 2, 4]);
  });

  it("shows paper numbers beside ours for t5-large", async () => {
    const artifacts = scratch("render");
    const inputs = writeInputs(artifacts, [evalSummary("p3", "hyper-prefix", p3Tasks, methodScore(1))]);
    const report = await buildReport({ profile: "t5-large", inputs, projectRoot });
    const p3 = table(report, "p3");

    expect(p3.paperTable).toBe(1);
    // Every P3 held-out task gets a column, even those this run did not score.
    expect(p3.columns.map((column) => column.label)).toEqual(["ANLI", "HSwag", "CB", "COPA", "RTE", "WiC", "WSC", "WGD", "story_task"]);
    const hyperPrefix = p3.rows.find((row) => row.label === "HyperT5-Prefix")!;
    expect(hyperPrefix.reference?.table).toBe(1);
    expect(hyperPrefix.reference?.cells["super_glue/cb"]).toBe(60.1);
    expect(hyperPrefix.reference?.cells.average).toBe(54.6);
    expect(hyperPrefix.reference?.cells["story_task"]).toBeNull();
    expect(hyperPrefix.cells!["hellaswag"]).toBeNull();

    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| ↳ *paper, table 1* | *33.4* | *32.3* | *60.1* | *73.9* | *71.5* | *51.1* | *63.0* | *51.1* | — | *54.6* |");
    expect(markdown).toContain("they are not results of this pipeline");
    expect(markdown).toContain("— in a *paper* row: HyperTuning prints no number for this column.");
  });

  it("uses table 2 and T0 for t5-xl", async () => {
    const artifacts = scratch("render");
    const inputs = writeInputs(artifacts, [evalSummary("p3", "t5-mtf", p3Tasks, methodScore(0))]);
    const report = await buildReport({ profile: "t5-xl", inputs, projectRoot });
    const p3 = table(report, "p3");
    expect(p3.paperTable).toBe(2);
    const t0 = p3.rows.find((row) => row.label === "T0")!;
    expect(t0.cells).toBeNull();
    expect(t0.reference?.cells.average).toBe(51.3);
    expect(table(report, "sni").paperTable).toBe(6);
  });

  it("averages MetaICL splits only when complete", async () => {
    const artifacts = scratch("render");
    const splits = ["metaicl/hr_to_lr", "metaicl/non_nli_to_nli", "metaicl/non_class_to_class"] as const;
    const full = splits.map((split, index) => evalSummary(split, "hyper-prefix", ["task_a", "task_b"], (task) => 20 + 10 * index + task));
    const partial = evalSummary("metaicl/hr_to_lr", "t5-mtf", ["task_a"], () => 42);
    const report = await buildReport({ profile: "default", inputs: writeInputs(artifacts, [...full, partial]), projectRoot });
    const metaicl = table(report, "metaicl");
    const hyperPrefix = metaicl.rows.find((row) => row.label === "HyperT5-Prefix")!;
    expect(hyperPrefix.cells!.average).toBeCloseTo(mean(full.map((summary) => summary.average)), 12);
    const mtf = metaicl.rows.find((row) => row.label === "T5-MTF")!;
    expect(mtf.cells!["metaicl/hr_to_lr"]).toBe(42);
    expect(mtf.cells!.average).toBeNull();
  });

  it("fills S-NI and hyperpretraining-variant rows", async () => {
    const artifacts = scratch("render");
    const summaries = [
      evalSummary("sni/def-2pos", "hyper-prefix", ["t1", "t2"], (index) => 40 + index),
      evalSummary("sni/def-2pos", "hyper-prefix", ["t1", "t2"], (index) => 30 + index, { hyperpretrainVariant: "prefix-only" }),
      evalSummary("p3", "hyper-prefix", p3Tasks, methodScore(3), { hyperpretrainVariant: "prefix-only" }),
    ];
    const report = await buildReport({ profile: "default", inputs: writeInputs(artifacts, summaries), projectRoot });
    const sni = table(report, "sni");
    expect(sni.rows.find((row) => row.label === "HyperT5-Prefix (Def+2Pos)")!.cells!.average).toBe(40.5);
    expect(sni.rows.find((row) => row.label === "HyperT5-Prefix (Def)")!.cells!.average).toBeNull();
    const variants = table(report, "hyperpretrain-variants");
    expect(variants.rows.map((row) => row.cells!.average)).toEqual([summaries[2]!.average, null, 30.5, 40.5]);
    // The prefix-only evaluation must not stand in for the main P3 row.
    expect(table(report, "p3").rows.find((row) => row.label === "HyperT5-Prefix")!.cells!.average).toBeNull();
  });

  it("picks the best learning rate by seed-averaged score", async () => {
    const artifacts = scratch("render");
    const runs = [
      // 1e-3 averages 65 over two seeds; 1e-4 has the best single run (80) but averages 60.
      peftSummary("anli", "lora", "hyper", 1e-3, 0, 50, 60),
      peftSummary("anli", "lora", "hyper", 1e-3, 1, 52, 70),
      peftSummary("anli", "lora", "hyper", 1e-4, 0, 40, 80),
      peftSummary("anli", "lora", "hyper", 1e-4, 1, 40, 40),
      peftSummary("copa", "lora", "hyper", 1e-3, 0, 60, 90),
      peftSummary("anli", "lora", "random", 1e-3, 0, 10, 30),
    ];
    const report = await buildReport({ profile: "t5-large", inputs: writeInputs(artifacts, runs), projectRoot });
    const peftInit = table(report, "peft-init");
    const hyper = peftInit.rows.find((row) => row.label === "LoRA (Hyper Init)")!;
    expect(hyper.cells!["anli"]).toBe(mean([60, 70]));
    expect(hyper.cells!["copa"]).toBe(90);
    // The table has all eight P3 columns for t5-large, so a row with two tasks has no average.
    expect(hyper.cells!.average).toBeNull();
    expect(hyper.detail).toContain("anli: lr 0.001, 2 seed(s)");
    expect(hyper.reference?.cells.average).toBe(75.0);
    const random = peftInit.rows.find((row) => row.label === "LoRA (Rand Init)")!;
    expect(random.cells!["copa"]).toBeNull();

    const curves = report.plots.find((plot) => plot.id === "hyper-init-lora")!;
    const hyperCurve = curves.series.find((series) => series.label === "Hyper Init")!;
    // Step 0: anli seeds (50, 52) average 51, copa starts at 60; the mean over tasks is 55.5.
    expect(hyperCurve.points[0]).toEqual({ x: 0, y: mean([mean([50, 52]), 60]) });
    expect(hyperCurve.points[2]).toEqual({ x: 4, y: mean([65, 90]) });
    expect(table(report, "peft-init-full").rows).toHaveLength(9);
  });

  it("averages over every task when a row is complete", async () => {
    const artifacts = scratch("render");
    const runs = [peftSummary("anli", "prefix-flat", "shared", 1e-3, 0, 0, 30), peftSummary("copa", "prefix-flat", "shared", 1e-3, 0, 0, 50)];
    const report = await buildReport({ profile: "default", inputs: writeInputs(artifacts, runs), projectRoot });
    const row = table(report, "peft-init-full").rows.find((candidate) => candidate.label === "Prefix-Flat (Shared Init)")!;
    expect(row.cells!.average).toBe(40);
  });

  it("writes SVG plots of score against hyperpretraining steps", async () => {
    const artifacts = scratch("render");
    const out = scratch("render-out");
    const sweep = [0, 2, 4].map((steps) =>
      evalSummary("p3", "hyper-lora", p3Tasks, (task) => 30 + steps * 2 + task, { hyperpretrainSteps: steps, hyperpretrainVariant: "prefix-and-suffix" }),
    );
    const report = await buildReport({ profile: "smoke", inputs: writeInputs(artifacts, sweep), projectRoot });
    const files = writeReport(report, out);
    const plot = report.plots.find((candidate) => candidate.id === "hyperpretrain-steps-p3")!;
    expect(plot.series[0]!.points).toEqual(sweep.map((summary) => ({ x: summary.hyperpretrainSteps!, y: summary.average })));
    expect(files).toContain(plot.file);
    const svg = fs.readFileSync(path.join(out, plot.file), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain("<polyline");
    expect(svg).toContain("HyperT5-LoRA");
    const markdown = fs.readFileSync(path.join(out, "REPORT.md"), "utf8");
    expect(markdown).toContain(`![${plot.title}](${plot.file})`);
    expect(markdown).toContain(`| 4 | ${sweep[2]!.average.toFixed(1)} |`);
    expect(JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"))).toEqual(report);
  });

  it("records keys, wall times and cache hits", async () => {
    const artifacts = scratch("render");
    const earlier = writeEntry(artifacts, {
      stageId: "eval/p3/t5-mtf",
      kind: "eval",
      summary: { ...evalSummary("p3", "t5-mtf", p3Tasks, methodScore(0)) },
      finished: "2026-01-01T09:00:00.000Z",
      seconds: 12.5,
    });
    const built = writeEntry(artifacts, {
      stageId: "hyperpretrain/hyper-prefix",
      kind: "hyperpretrain",
      summary: {
        kind: "hyperpretrain",
        hypermodel: "hyper-prefix",
        variant: "prefix-and-suffix",
        steps: 8,
        finalLoss: 3.5,
        checkpointSteps: [4, 8],
        estimatedFlops: 1.5e12,
        wallSeconds: 90,
      },
      finished: "2026-01-01T11:00:00.000Z",
      seconds: 100,
      backend: "wasm",
    });
    const inputs = { "eval/p3/t5-mtf": earlier, "hyperpretrain/hyper-prefix": built };
    const report = await buildReport({ profile: "smoke", inputs, projectRoot, runStartedAt: "2026-01-01T10:00:00.000Z" });
    const provenance = report.provenance;
    expect(provenance.stages.map((stage) => [stage.id, stage.key, stage.cacheHit])).toEqual([
      ["eval/p3/t5-mtf", path.basename(earlier), true],
      ["hyperpretrain/hyper-prefix", path.basename(built), false],
    ]);
    expect(provenance.cacheHits).toBe(1);
    expect(provenance.totalWallSeconds).toBe(112.5);
    expect(provenance.backend).toBe("cpu, wasm");
    expect(provenance.profileDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(report.training).toEqual([
      // The training loop's own wall time (90 s) is kept rather than the whole stage's (100 s).
      { stage: "hyperpretrain/hyper-prefix", kind: "hyperpretrain", steps: 8, finalLoss: 3.5, estimatedFlops: 1.5e12, wallSeconds: 90, detail: "hyper-prefix, prefix-and-suffix" },
    ]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(`| \`hyperpretrain/hyper-prefix\` | hyperpretrain | \`${path.basename(built).slice(0, 16)}\` | 1 min 40 s | no |`);
    expect(markdown).toContain("Cache hits in the run that built this report: 1 of 2 upstream stages");

    const unknown = await buildReport({ profile: "smoke", inputs, projectRoot });
    expect(unknown.provenance.cacheHits).toBeNull();
  });

  it("rejects a malformed summary with its manifest and field", async () => {
    const artifacts = scratch("render");
    const bad = { ...evalSummary("p3", "t5-mtf", p3Tasks, methodScore(0)), average: "high" };
    const dir = writeEntry(artifacts, { stageId: "eval/p3/t5-mtf", kind: "eval", summary: bad });
    const attempt = buildReport({ profile: "smoke", inputs: { "eval/p3/t5-mtf": dir }, projectRoot });
    await expect(attempt).rejects.toThrow(SummaryError);
    await expect(attempt).rejects.toThrow(`${path.join(dir, "manifest.json")}: summary field "average" is "high", expected a finite number`);
  });
});

describe("task columns", () => {
  it("match P3 tasks in their spellings", () => {
    const cases: [string, string | undefined][] = [
      ["super_glue/cb", "cb"],
      ["super_glue_cb", "cb"],
      ["super_glue/wsc.fixed", "wsc"],
      ["winogrande_xl", "winogrande"],
      ["p3/hellaswag", "hellaswag"],
      ["ANLI", "anli"],
      ["metaicl/hr_to_lr", undefined],
      ["story_task", undefined],
    ];
    for (const [task, expected] of cases) expect(canonicalP3Task(task), task).toBe(expected);
  });
});

describe("provenance of the whole graph", () => {
  it("follows key records to every stage", async () => {
    const artifacts = scratch("render");
    const pretrain = writeEntry(artifacts, {
      stageId: "pretrain",
      kind: "pretrain",
      summary: { kind: "pretrain", steps: 6, finalLoss: 7.25, estimatedFlops: 2e9, wallSeconds: 40 },
      upstream: { "tokenize/all": "f".repeat(64) },
    });
    const mtf = writeEntry(artifacts, {
      stageId: "mtf/p3/t5-mtf",
      kind: "mtf",
      summary: { kind: "mtf", steps: 3, finalLoss: 5.5, estimatedFlops: 1e9, wallSeconds: 20 },
      upstream: { pretrain: entryOutputsDigest(pretrain) },
    });
    const evaluation = writeEntry(artifacts, {
      stageId: "eval/p3/t5-mtf",
      kind: "eval",
      summary: { ...evalSummary("p3", "t5-mtf", p3Tasks, methodScore(0)) },
      upstream: { "mtf/p3/t5-mtf": entryOutputsDigest(mtf), pretrain: entryOutputsDigest(pretrain) },
    });

    const report = await buildReport({ profile: "smoke", inputs: { "eval/p3/t5-mtf": evaluation }, projectRoot });
    expect(report.provenance.stages.map((stage) => [stage.id, stage.key])).toEqual([
      ["eval/p3/t5-mtf", path.basename(evaluation)],
      ["mtf/p3/t5-mtf", path.basename(mtf)],
      ["pretrain", path.basename(pretrain)],
    ]);
    // tokenize/all has no entry in the artifacts folder, as after `gc`.
    expect(report.provenance.unresolvedStages).toEqual(["tokenize/all"]);
    expect(report.training.map((row) => [row.stage, row.finalLoss, row.estimatedFlops])).toEqual([
      ["mtf/p3/t5-mtf", 5.5, 1e9],
      ["pretrain", 7.25, 2e9],
    ]);
    expect(renderMarkdown(report)).toContain("- Stages no longer in the artifacts folder (not listed below): `tokenize/all`");
  });
});
