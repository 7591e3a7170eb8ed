import { describe, expect, it } from "vitest";

import { accuracy, metaIclAccuracy, metaIclMacroF1, metaIclScore } from "../../src/metrics/index.js";

describe("accuracy", () => {
  it("counts exact matches", () => {
    expect(accuracy(["a", "b", "c", "d"], ["a", "b", "x", "y"])).toBe(0.5);
  });

  it("rejects mismatched lengths", () => {
    expect(() => accuracy(["a"], ["a", "b"])).toThrow(/must match/);
  });
});

describe("metaIclMacroF1", () => {
  it("averages per-class F1", () => {
    // a: recall 1, precision 2/3 -> F1 0.8; b: recall 1/2, precision 1 -> F1 2/3.
    expect(metaIclMacroF1(["a", "a", "a", "b"], ["a", "a", "b", "b"])).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });

  it("gives a class never predicted F1 0", () => {
    // a: 1; b: recall 1, precision 1/2 -> 2/3; c: never predicted, recall 0 -> 0.
    expect(metaIclMacroF1(["a", "b", "b"], ["a", "b", "c"])).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
  });

  it("ignores a predicted class absent from the references", () => {
    // Only class a is averaged: recall 1/2, precision 1 -> 2/3; "z" adds no term.
    expect(metaIclMacroF1(["a", "z"], ["a", "a"])).toBeCloseTo(2 / 3, 12);
  });

  it("strips whitespace before comparing", () => {
    expect(metaIclMacroF1([" positive\n", "negative "], ["positive", " negative"])).toBe(1);
  });
});

describe("metaIclScore", () => {
  it("uses accuracy for non-classification tasks", () => {
    expect(metaIclScore(["a", "a", "a", "b"], ["a", "a", "b", "b"], false)).toBe(0.75);
  });

  it("uses macro-F1 for classification tasks", () => {
    expect(metaIclScore(["a", "a", "a", "b"], ["a", "a", "b", "b"], true)).toBeCloseTo(0.7333333333, 9);
  });

  it("accepts several acceptable answers for accuracy", () => {
    expect(metaIclAccuracy([" yes "], [["no", "yes"]])).toBe(1);
  });
});
