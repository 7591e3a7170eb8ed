import { describe, expect, it } from "vitest";

import { longestCommonSubsequence, porterStem, rougeL, rougeLMaxOverReferences, rougeLScore, rougeTokenize, roundTo } from "../../src/metrics/index.js";

describe("porterStem (NLTK default mode)", () => {
  const cases: [string, string][] = [
    ["caresses", "caress"],
    ["ponies", "poni"],
    ["ties", "tie"], // NLTK: four-letter "ies" keeps "ie"
    ["cats", "cat"],
    ["feed", "feed"],
    ["agreed", "agre"],
    ["died", "die"], // NLTK: four-letter "ied" keeps "ie"
    ["spied", "spi"],
    ["hopping", "hop"],
    ["falling", "fall"],
    ["filing", "file"],
    ["running", "run"],
    ["happy", "happi"],
    ["enjoy", "enjoy"], // NLTK: y after a vowel stays
    ["relational", "relat"],
    ["conditional", "condit"],
    ["generalization", "gener"],
    ["effective", "effect"],
    ["controlling", "control"],
    ["dying", "die"], // irregular form
    ["news", "news"], // irregular form
    ["skies", "sky"], // irregular form
    ["by", "by"], // two letters: not stemmed
  ];
  for (const [word, stem] of cases) {
    it(`stems ${word} to ${stem}`, () => {
      expect(porterStem(word)).toBe(stem);
    });
  }
});

describe("rougeTokenize", () => {
  it("lowercases and splits on non-alphanumerics", () => {
    expect(rougeTokenize("Hello, World! x-ray_42")).toEqual(["hello", "world", "x", "ray", "42"]);
  });

  it("stems only tokens longer than 3 characters", () => {
    // "dogs" (4) is stemmed, "was" (3) and "ies" (3) are not.
    expect(rougeTokenize("dogs was ies")).toEqual(["dog", "was", "ies"]);
  });

  it("drops non-ASCII letters as separators", () => {
    expect(rougeTokenize("café au lait")).toEqual(["caf", "au", "lait"]);
  });

  it("returns no token for punctuation only", () => {
    expect(rougeTokenize(" ?! ... ")).toEqual([]);
  });
});

describe("rougeL", () => {
  it("scores the LCS F-measure", () => {
    // the cat (sat|is) on the mat: LCS 5 of 6 tokens on each side.
    const score = rougeL("The cat sat on the mat", "the cat is on the mat");
    expect(score.precision).toBeCloseTo(5 / 6, 12);
    expect(score.recall).toBeCloseTo(5 / 6, 12);
    expect(score.fmeasure).toBeCloseTo(5 / 6, 12);
  });

  it("matches stemmed forms", () => {
    // prediction [run, dog], reference [the, dog, run]: LCS 1, P 1/2, R 1/3, F 0.4.
    const score = rougeL("running dogs", "the dog runs");
    expect(score.precision).toBeCloseTo(0.5, 12);
    expect(score.recall).toBeCloseTo(1 / 3, 12);
    expect(score.fmeasure).toBeCloseTo(0.4, 12);
  });

  it("scores an empty prediction 0", () => {
    expect(rougeL("", "the answer").fmeasure).toBe(0);
    expect(rougeL("!!!", "the answer").fmeasure).toBe(0);
  });

  it("scores an empty reference 0", () => {
    expect(rougeL("the answer", "").fmeasure).toBe(0);
  });
});

describe("rougeLMaxOverReferences", () => {
  it("takes the best reference", () => {
    expect(rougeLMaxOverReferences("paris", ["London", "Paris", "the city of paris"])).toBe(1);
  });

  it("rejects an empty reference list", () => {
    expect(() => rougeLMaxOverReferences("paris", [])).toThrow(/No reference/);
  });
});

describe("rougeLScore", () => {
  it("averages over instances times 100", () => {
    // 1.0 (exact match) and 0.4 (the stemming case above): mean 0.7 -> 70.
    expect(rougeLScore(["Paris", "running dogs"], [["paris"], ["the dog runs"]])).toBe(70);
  });

  it("rounds to 4 decimals", () => {
    // 5/6 * 100 = 83.3333...
    expect(rougeLScore(["The cat sat on the mat"], [["the cat is on the mat"]])).toBe(83.3333);
  });

  it("rejects mismatched lengths", () => {
    expect(() => rougeLScore(["a"], [])).toThrow(/must match/);
  });
});

describe("longestCommonSubsequence", () => {
  it("handles empty and disjoint inputs", () => {
    expect(longestCommonSubsequence([], ["a"])).toBe(0);
    expect(longestCommonSubsequence(["a", "b"], ["c"])).toBe(0);
    expect(longestCommonSubsequence(["a", "b", "c", "b"], ["b", "c", "b", "a"])).toBe(3);
  });
});

describe("roundTo", () => {
  it("rounds to the requested decimals", () => {
    expect(roundTo(12.345678, 4)).toBe(12.3457);
  });
});
