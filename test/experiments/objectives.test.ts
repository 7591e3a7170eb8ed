import { describe, expect, it } from "vitest";

import {
  contextAugmentedExample,
  corruptedLengths,
  noiseCounts,
  prefixLmSplit,
  randomSegmentation,
  randomSpansNoiseMask,
  rawLengthForInput,
  CorpusWindows,
  spanCorrupt,
  t5SpanCorruption,
  type Random,
  type SpecialTokenIds,
} from "../../src/experiments/objectives/index.js";

const vocabularySize = 1000;
// Ordinary tokens are 10..899, so special ids never collide with them.
const special: SpecialTokenIds = {
  pad: 0,
  eos: 1,
  sentinel: (index) => vocabularySize - 1 - index,
  fewShotInput: 2,
  fewShotOutput: 3,
};
const isSentinel = (id: number): boolean => id >= 900;

function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const ordinary = (length: number, start = 10): number[] => Array.from({ length }, (_, i) => start + i);

describe("randomSegmentation", () => {
  it("returns non-empty runs summing to the total", () => {
    for (let seed = 0; seed < 50; seed++) {
      const lengths = randomSegmentation(17, 5, seeded(seed));
      expect(lengths).toHaveLength(5);
      expect(lengths.every((length) => length >= 1)).toBe(true);
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(17);
    }
  });

  it("rejects more segments than items", () => {
    expect(() => randomSegmentation(2, 3, seeded(1))).toThrow(RangeError);
  });
});

describe("span corruption", () => {
  it("masks 15% of tokens in mean-3 spans", () => {
    expect(noiseCounts(100, t5SpanCorruption)).toEqual({ noiseTokens: 15, noiseSpans: 5 });
    const mask = randomSpansNoiseMask(100, t5SpanCorruption, seeded(3));
    expect(mask.filter(Boolean)).toHaveLength(15);
    expect(mask[0]).toBe(false);
    const spanStarts = mask.filter((noisy, i) => noisy && (i === 0 || !mask[i - 1])).length;
    expect(spanStarts).toBe(5);
  });

  it("puts one sentinel per span in input and target", () => {
    const tokens = ordinary(100);
    const example = spanCorrupt(tokens, special, seeded(5));
    const inputSentinels = example.input.filter(isSentinel);
    const targetSentinels = example.target.filter(isSentinel);
    expect(inputSentinels).toEqual([999, 998, 997, 996, 995]);
    expect(targetSentinels).toEqual(inputSentinels);
    expect(example.input.at(-1)).toBe(special.eos);
    expect(example.target.at(-1)).toBe(special.eos);
  });

  it("reconstructs the original from input and target", () => {
    const tokens = ordinary(64);
    const example = spanCorrupt(tokens, special, seeded(11));
    const spans = new Map<number, number[]>();
    let current: number[] = [];
    for (const id of example.target.slice(0, -1)) {
      if (isSentinel(id)) {
        current = [];
        spans.set(id, current);
      } else current.push(id);
    }
    const rebuilt = example.input.slice(0, -1).flatMap((id) => (isSentinel(id) ? spans.get(id)! : [id]));
    expect(rebuilt).toEqual(tokens);
  });

  it("sizes the raw length to the input budget", () => {
    const raw = rawLengthForInput(64);
    expect(corruptedLengths(raw).input).toBeLessThanOrEqual(64);
    expect(corruptedLengths(raw + 1).input).toBeGreaterThan(64);
    const example = spanCorrupt(ordinary(raw), special, seeded(2));
    expect(example.input.length).toBe(corruptedLengths(raw).input);
    expect(example.target.length).toBe(corruptedLengths(raw).target);
  });
});

describe("prefixLmSplit", () => {
  it("splits into a prefix and its continuation", () => {
    const tokens = ordinary(40);
    for (let seed = 0; seed < 20; seed++) {
      const example = prefixLmSplit(tokens, special, 32, 16, seeded(seed));
      expect(example.input.length).toBeLessThanOrEqual(32);
      expect(example.target.length).toBeLessThanOrEqual(16);
      expect([...example.input.slice(0, -1), ...example.target.slice(0, -1)]).toEqual(tokens);
      expect(example.input.length).toBeGreaterThan(1);
      expect(example.target.length).toBeGreaterThan(1);
    }
  });

  it("rejects a window too long for both budgets", () => {
    expect(() => prefixLmSplit(ordinary(60), special, 32, 16, seeded(1))).toThrow(RangeError);
  });
});

describe("context-augmented language modeling", () => {
  const options = { downstreamInputLength: 8, targetLength: 12, windowLength: 64, variant: "prefix-and-suffix" as const };

  it("cuts consecutive segments with B of fixed length", () => {
    for (let seed = 0; seed < 30; seed++) {
      const window = ordinary(64);
      const example = contextAugmentedExample(window, special, options, seeded(seed));
      const { a, b, c, d } = example.segments;
      expect(b).toHaveLength(8);
      expect(c).toHaveLength(12);
      expect(a.length).toBeGreaterThanOrEqual(1);
      expect(d.length).toBeGreaterThanOrEqual(1);
      expect([...a, ...b, ...c, ...d]).toEqual(window);
    }
  });

  it("marks A and D with sentinels", () => {
    const example = contextAugmentedExample(ordinary(64), special, options, seeded(4));
    const { a, d } = example.segments;
    expect(example.hyperInput).toEqual([special.sentinel(0), ...a, special.sentinel(1), ...d, special.eos]);
    expect(example.input).toEqual([...example.segments.b, special.eos]);
    expect(example.target).toEqual([...example.segments.c, special.eos]);
  });

  it("keeps B and C out of the hypermodel input", () => {
    const example = contextAugmentedExample(ordinary(64), special, options, seeded(9));
    const hidden = new Set([...example.segments.b, ...example.segments.c]);
    expect(example.hyperInput.some((id) => hidden.has(id))).toBe(false);
  });

  it("gives prefix-only the preceding context", () => {
    const example = contextAugmentedExample(ordinary(64), special, { ...options, variant: "prefix-only" }, seeded(4));
    expect(example.segments.d).toEqual([]);
    expect(example.segments.a).toHaveLength(64 - 8 - 12);
    expect(example.hyperInput).toEqual([special.sentinel(0), ...example.segments.a, special.eos]);
  });

  it("rejects a window without room for context", () => {
    expect(() => contextAugmentedExample(ordinary(21), special, { ...options, windowLength: 21 }, seeded(1))).toThrow(RangeError);
  });
});

describe("CorpusWindows", () => {
  it("stays inside one document when one is long enough", () => {
    const documents = [ordinary(5, 10), ordinary(30, 100)];
    for (let seed = 0; seed < 20; seed++) {
      const window = new CorpusWindows(documents, special.eos).sample(16, seeded(seed));
      expect(window).toHaveLength(16);
      expect(window.every((id) => id >= 100 && id < 130)).toBe(true);
    }
  });

  it("joins short documents with EOS", () => {
    const window = new CorpusWindows([ordinary(3, 10), ordinary(3, 20)], special.eos).sample(8, seeded(1));
    expect(window).toEqual([10, 11, 12, 1, 20, 21, 22, 1]);
  });

  it("rejects a corpus shorter than a window", () => {
    expect(() => new CorpusWindows([ordinary(3)], special.eos).sample(10, seeded(1))).toThrow(/fewer than one window/);
  });
});

describe("CorpusWindows with typed arrays", () => {
  it("samples from Int32Array documents", () => {
    const window = new CorpusWindows([Int32Array.from(ordinary(20, 100))], special.eos).sample(5, seeded(3));
    expect(window).toHaveLength(5);
    expect(Array.isArray(window)).toBe(true);
  });
});
