/**
 * Few-shot inputs for multi-task fine-tuning and evaluation, formatted as HyperTuning (Phang et al. 2022,
 * appendix A.1) does: `<x> Input 1 <y> Target 1 <x> Input 2 <y> Target 2 ...`, with an S-NI definition as one more
 * `<x>` segment in front. The examples of a target are drawn from its task's training split, never the target
 * itself.
 */

import { randomInt, type Random, type SpecialTokenIds } from "./tokens.js";

/** One tokenized example without EOS. */
export interface TokenizedPair {
  input: number[];
  target: number[];
}

/**
 * Draws up to `count` distinct indices of `poolSize` training examples, skipping `excludedIndex` (the target
 * itself when it comes from the same pool; pass -1 otherwise).
 */
export function sampleFewShotIndices(poolSize: number, count: number, excludedIndex: number, random: Random): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < poolSize; i++) if (i !== excludedIndex) candidates.push(i);
  const taken = Math.min(count, candidates.length);
  for (let i = 0; i < taken; i++) {
    const j = i + randomInt(random, candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return candidates.slice(0, taken);
}

/**
 * Formats few-shot pairs (and an optional definition) as `<x> definition <x> input <y> target ...` followed by EOS,
 * truncated to `maxLength` tokens. Truncation cuts the end, as the maximum input length does in HyperTuning.
 */
export function formatFewShot(pairs: readonly TokenizedPair[], special: SpecialTokenIds, maxLength: number, definition?: readonly number[]): number[] {
  const tokens: number[] = [];
  if (definition !== undefined) tokens.push(special.fewShotInput, ...definition);
  for (const pair of pairs) {
    tokens.push(special.fewShotInput, ...pair.input, special.fewShotOutput, ...pair.target);
  }
  return truncateWithEos(tokens, maxLength, special.eos);
}

/**
 * The input of T5-MTF-Few-shot (MetaICL-style concatenation): the formatted few-shot pairs, then `<x>` and the
 * target input, truncated from the front of the few-shot part so the target input always survives.
 */
export function concatenateFewShotAndInput(fewShot: readonly TokenizedPair[], input: readonly number[], special: SpecialTokenIds, maxLength: number, definition?: readonly number[]): number[] {
  const tail = [special.fewShotInput, ...input, special.fewShotOutput];
  const room = maxLength - 1 - tail.length;
  if (room <= 0) return truncateWithEos(tail, maxLength, special.eos);
  const context = formatFewShot(fewShot, special, Number.POSITIVE_INFINITY, definition).slice(0, -1);
  return [...context.slice(Math.max(0, context.length - room)), ...tail, special.eos];
}

/** Cuts `tokens` to `maxLength - 1` and appends EOS. */
export function truncateWithEos(tokens: readonly number[], maxLength: number, eos: number): number[] {
  if (maxLength < 1) throw new RangeError(`Maximum length must be at least 1, got ${maxLength}.`);
  return [...tokens.slice(0, maxLength - 1), eos];
}
