import { describe, expect, it } from "vitest";

import type { SpecialIds, TokenizedTask } from "../../datasets/index.js";
import { buildModelExample, conditioningFor, inputStyle, TrainingMixture } from "../../src/experiments/multitask-data.js";
import { mtfBatch } from "../../src/experiments/multitask.js";

const special: SpecialIds = { xId: 2, yId: 3, eosId: 1 };
const lengths = { hypermodelInput: 512, downstreamInput: 64, target: 16 };

/** A task whose example i has input [100 + i] and target [500 + i], so every example is recognizable by id. */
function task(name: string, trainCount: number, testCount = 4): TokenizedTask {
  const example = (id: number) => ({ input: [100 + id], target: [500 + id], references: [`answer ${id}`] });
  return {
    name,
    train: Array.from({ length: trainCount }, (_, i) => example(i)),
    test: Array.from({ length: testCount }, (_, i) => example(1000 + i)),
    definition: [7, 8],
    positives: [
      { input: [60], output: [61] },
      { input: [62], output: [63] },
    ],
  };
}

/** Ids of the few-shot inputs in a hypermodel input (the token after each `<x>`). */
function fewShotInputs(hyperInput: number[]): number[] {
  return hyperInput.flatMap((id, i) => (id === special.xId ? [hyperInput[i + 1]!] : []));
}

describe("buildModelExample", () => {
  it("never uses the target as its own few-shot example", () => {
    const source = task("t", 20);
    for (let index = 0; index < 20; index++) {
      const example = buildModelExample(source, { split: "train", index }, "hypermodel", conditioningFor("p3", 16, 5), special, lengths);
      const shots = fewShotInputs(example.hyperInput!);
      expect(shots).toHaveLength(16);
      expect(shots).not.toContain(100 + index);
      expect(new Set(shots).size).toBe(16);
    }
  });

  it("gives the downstream model the target input only", () => {
    const example = buildModelExample(task("t", 20), { split: "train", index: 3 }, "hypermodel", conditioningFor("p3", 4, 1), special, lengths);
    expect(example.input).toEqual([103, special.eosId]);
    expect(example.target).toEqual([503, special.eosId]);
  });

  it("concatenates few-shot examples before the input", () => {
    const example = buildModelExample(task("t", 20), { split: "test", index: 0 }, "concatenated", conditioningFor("p3", 2, 1), special, lengths);
    expect(example.hyperInput).toBeUndefined();
    expect(example.input.slice(-4)).toEqual([special.xId, 1100, special.yId, special.eosId]);
    expect(fewShotInputs(example.input)).toHaveLength(3);
  });

  it("conditions S-NI on the definition and positives", () => {
    const definitionOnly = buildModelExample(task("t", 0), { split: "test", index: 0 }, "hypermodel", conditioningFor("sni/def", 2, 1), special, lengths);
    expect(definitionOnly.hyperInput).toEqual([special.xId, 7, 8, special.eosId]);
    const withPositives = buildModelExample(task("t", 0), { split: "test", index: 0 }, "hypermodel", conditioningFor("sni/def-2pos", 2, 1), special, lengths);
    expect(withPositives.hyperInput).toEqual([special.xId, 7, 8, special.xId, 60, special.yId, 61, special.xId, 62, special.yId, 63, special.eosId]);
  });
});

describe("inputStyle", () => {
  it("maps methods and datasets to inputs", () => {
    expect(inputStyle("t5-mtf", "p3")).toBe("plain");
    expect(inputStyle("t5-mtf-lora", "metaicl/hr_to_lr")).toBe("plain");
    expect(inputStyle("t5-mtf-few-shot", "p3")).toBe("concatenated");
    expect(inputStyle("t5-mtf", "sni/def")).toBe("concatenated");
    expect(inputStyle("hyper-lora-plus", "sni/def-2pos")).toBe("hypermodel");
  });
});

describe("TrainingMixture", () => {
  it("draws in proportion to training examples", () => {
    const mixture = new TrainingMixture([task("small", 10), task("empty", 0), task("large", 30)]);
    expect(mixture.total).toBe(40);
    expect(mixture.at(0)).toMatchObject({ index: 0 });
    expect(mixture.at(9).task.name).toBe("small");
    expect(mixture.at(10).task.name).toBe("large");
    expect(mixture.at(39)).toMatchObject({ index: 29 });
  });

  it("rejects tasks without training data", () => {
    expect(() => new TrainingMixture([task("empty", 0)])).toThrow(/training examples/);
  });
});

describe("mtfBatch", () => {
  const options = {
    dataset: "p3" as const,
    method: "hyper-prefix" as const,
    training: { steps: 10, batchSize: 8, microBatchSize: 4, learningRate: 1e-3 },
    fewShotCount: 4,
    lengths,
    special,
    seed: 3,
  };
  const mixture = new TrainingMixture([task("a", 12), task("b", 12)]);

  it("is a function of the step", () => {
    const first = mtfBatch(options as never, mixture, 5);
    const again = mtfBatch(options as never, mixture, 5);
    const other = mtfBatch(options as never, mixture, 6);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).toHaveLength(8);
  });

  it("keeps targets out of their few-shot sets", () => {
    for (let step = 1; step <= 20; step++) {
      for (const example of mtfBatch(options as never, mixture, step)) {
        expect(fewShotInputs(example.hyperInput!)).not.toContain(example.input[0]);
      }
    }
  });
});
