import { expect, test } from "vitest";
import {
  conditioningIds,
  downstreamInputIds,
  fewShotModelInputIds,
  formatFewShotIds,
  hypermodelInputIds,
  sampleFewShotIndices,
  targetIds,
  type TokenizedTask,
} from "../../datasets/index.js";

const special = { xId: 900, yId: 901, eosId: 1 };

function makeTask(trainCount: number): TokenizedTask {
  const example = (index: number) => ({ input: [10 + index, 11], target: [500 + index], references: [`t${index}`] });
  return {
    name: "toy",
    definition: [7, 7, 7],
    positives: [
      { input: [20], output: [21] },
      { input: [22], output: [23] },
      { input: [24], output: [25] },
    ],
    train: Array.from({ length: trainCount }, (_, index) => example(index)),
    test: Array.from({ length: 5 }, (_, index) => example(100 + index)),
  };
}

test("few-shot sampling never picks the target", () => {
  const task = makeTask(17);
  for (let index = 0; index < 17; index++) {
    const picked = sampleFewShotIndices(task, { split: "train", index }, 16, 3);
    expect(picked).toHaveLength(16);
    expect(picked).not.toContain(index);
    expect(new Set(picked).size).toBe(16);
  }
});

test("few-shot sampling is fixed by the seed", () => {
  const task = makeTask(200);
  const ref = { split: "test" as const, index: 2 };
  expect(sampleFewShotIndices(task, ref, 8, 5)).toEqual(sampleFewShotIndices(task, ref, 8, 5));
  expect(sampleFewShotIndices(task, ref, 8, 5)).not.toEqual(sampleFewShotIndices(task, ref, 8, 6));
  expect(sampleFewShotIndices(task, ref, 8, 5)).not.toEqual(sampleFewShotIndices(task, { split: "test", index: 3 }, 8, 5));
});

test("few-shot count above 16 is rejected", () => {
  expect(() => sampleFewShotIndices(makeTask(40), { split: "test", index: 0 }, 17, 1)).toThrow(/few-shot count 17 is invalid/);
});

test("small training split gives fewer examples", () => {
  expect(sampleFewShotIndices(makeTask(4), { split: "train", index: 1 }, 16, 1).sort()).toEqual([0, 2, 3]);
});

test("formatting keeps whole pairs within the length", () => {
  const pairs = [
    { input: [1, 2], target: [3] },
    { input: [4, 5], target: [6] },
  ];
  expect(formatFewShotIds(pairs, special, 100)).toEqual([900, 1, 2, 901, 3, 900, 4, 5, 901, 6]);
  expect(formatFewShotIds(pairs, special, 7)).toEqual([900, 1, 2, 901, 3]);
  expect(formatFewShotIds(pairs, special, 3)).toEqual([900, 1, 2]);
  expect(formatFewShotIds(pairs, special, 100, [8, 9])).toEqual([900, 8, 9, 900, 1, 2, 901, 3, 900, 4, 5, 901, 6]);
});

test("S-NI settings use the definition and two positives", () => {
  const task = makeTask(10);
  const ref = { split: "test" as const, index: 0 };
  expect(conditioningIds(task, ref, { kind: "definition" }, special, 100)).toEqual([900, 7, 7, 7]);
  expect(conditioningIds(task, ref, { kind: "definition-2pos" }, special, 100)).toEqual([900, 7, 7, 7, 900, 20, 901, 21, 900, 22, 901, 23]);
  expect(() => conditioningIds({ ...task, definition: undefined }, ref, { kind: "definition" }, special, 100)).toThrow(/has no definition/);
});

test("model inputs end with eos and respect lengths", () => {
  const task = makeTask(10);
  const ref = { split: "test" as const, index: 1 };
  const lengths = { hypermodelInput: 12, downstreamInput: 3, target: 2 };
  const example = task.test[1]!;
  expect(downstreamInputIds(example, special, lengths)).toEqual([111, 11, 1]);
  expect(downstreamInputIds(example, special, { ...lengths, downstreamInput: 2 })).toEqual([111, 1]);
  expect(targetIds(example, special, lengths)).toEqual([601, 1]);
  const hyper = hypermodelInputIds(task, ref, { kind: "few-shot", k: 3, seed: 1 }, special, lengths);
  expect(hyper.length).toBeLessThanOrEqual(12);
  expect(hyper.at(-1)).toBe(1);
  expect(hyper.filter((id) => id === 900)).toHaveLength(2);
  const fewShot = fewShotModelInputIds(task, ref, { kind: "few-shot", k: 3, seed: 1 }, special, { hypermodelInput: 100, downstreamInput: 10, target: 2 });
  expect(fewShot.slice(0, -5)).toEqual(conditioningIds(task, ref, { kind: "few-shot", k: 3, seed: 1 }, special, 99));
  expect(fewShot.slice(-5)).toEqual([900, 111, 11, 901, 1]);
});
