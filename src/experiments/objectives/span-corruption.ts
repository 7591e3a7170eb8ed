/**
 * T5's span corruption (Raffel et al. 2020, section 3.1.4; `random_spans_noise_mask` in t5.data.preprocessors):
 * about 15% of the tokens, in spans of mean length 3, are replaced in the input by one sentinel per span, and the
 * target lists each sentinel followed by the tokens it replaced.
 */

import { randomInt, type Random, type Seq2SeqExample, type SpecialTokenIds } from "./tokens.js";

export interface SpanCorruptionOptions {
  noiseDensity: number;
  meanNoiseSpanLength: number;
}

export const t5SpanCorruption: SpanCorruptionOptions = { noiseDensity: 0.15, meanNoiseSpanLength: 3 };

/** Splits `items` into `segments` non-empty runs at random, returning the run lengths. */
export function randomSegmentation(items: number, segments: number, random: Random): number[] {
  if (segments < 1 || segments > items) throw new RangeError(`Cannot split ${items} items into ${segments} non-empty segments.`);
  // Choose segments - 1 distinct cut points among the items - 1 gaps.
  const gaps = Array.from({ length: items - 1 }, (_, i) => i + 1);
  for (let i = 0; i < segments - 1; i++) {
    const j = i + randomInt(random, gaps.length - i);
    [gaps[i], gaps[j]] = [gaps[j]!, gaps[i]!];
  }
  const cuts = gaps.slice(0, segments - 1).sort((a, b) => a - b);
  const lengths: number[] = [];
  let previous = 0;
  for (const cut of [...cuts, items]) {
    lengths.push(cut - previous);
    previous = cut;
  }
  return lengths;
}

/** Counts of noise tokens and noise spans for a sequence of `length` tokens, as T5 rounds them. */
export function noiseCounts(length: number, options: SpanCorruptionOptions): { noiseTokens: number; noiseSpans: number } {
  const noiseTokens = Math.min(Math.max(Math.round(length * options.noiseDensity), 1), length - 1);
  const noiseSpans = Math.max(Math.round(noiseTokens / options.meanNoiseSpanLength), 1);
  return { noiseTokens, noiseSpans };
}

/** Boolean noise mask: non-noise and noise spans alternate, starting with non-noise. */
export function randomSpansNoiseMask(length: number, options: SpanCorruptionOptions, random: Random): boolean[] {
  if (length < 2) throw new RangeError(`Span corruption needs at least 2 tokens, got ${length}.`);
  const { noiseTokens, noiseSpans } = noiseCounts(length, options);
  const noiseLengths = randomSegmentation(noiseTokens, noiseSpans, random);
  const keptLengths = randomSegmentation(length - noiseTokens, noiseSpans, random);
  const mask: boolean[] = [];
  for (let span = 0; span < noiseSpans; span++) {
    for (let i = 0; i < keptLengths[span]!; i++) mask.push(false);
    for (let i = 0; i < noiseLengths[span]!; i++) mask.push(true);
  }
  return mask;
}

/** Corrupts `tokens` (without EOS): each noise span becomes one sentinel in the input and heads its tokens in the target. */
export function spanCorrupt(tokens: readonly number[], special: SpecialTokenIds, random: Random, options: SpanCorruptionOptions = t5SpanCorruption): Seq2SeqExample {
  const mask = randomSpansNoiseMask(tokens.length, options, random);
  const input: number[] = [];
  const target: number[] = [];
  let sentinelIndex = 0;
  tokens.forEach((token, i) => {
    if (!mask[i]) {
      input.push(token);
      return;
    }
    if (i === 0 || !mask[i - 1]) {
      const sentinel = special.sentinel(sentinelIndex++);
      input.push(sentinel);
      target.push(sentinel);
    }
    target.push(token);
  });
  input.push(special.eos);
  target.push(special.eos);
  return { input, target };
}

/** Longest raw length whose corrupted input (with EOS) fits in `maxInputLength`, as T5's `random_spans_helper` sizes it. */
export function rawLengthForInput(maxInputLength: number, options: SpanCorruptionOptions = t5SpanCorruption): number {
  let length = 2;
  while (corruptedLengths(length + 1, options).input <= maxInputLength) length++;
  return length;
}

/** Input and target lengths (EOS included) after corrupting `length` tokens. */
export function corruptedLengths(length: number, options: SpanCorruptionOptions = t5SpanCorruption): { input: number; target: number } {
  const { noiseTokens, noiseSpans } = noiseCounts(length, options);
  return { input: length - noiseTokens + noiseSpans + 1, target: noiseTokens + noiseSpans + 1 };
}
