/** Token ids the objectives insert, and the sampling of training windows from a tokenized corpus. */

/** Ids of the special tokens the objectives need, taken from the tokenizer. */
export interface SpecialTokenIds {
  pad: number;
  eos: number;
  /** Id of T5 sentinel `<extra_id_{index}>` (the last vocabulary entries, counting down). */
  sentinel(index: number): number;
  /** `<x>`: marks a few-shot input (HyperTuning, Phang et al. 2022, appendix A.1). */
  fewShotInput: number;
  /** `<y>`: marks a few-shot target. */
  fewShotOutput: number;
}

/** A generator of floats in [0, 1). */
export type Random = () => number;

/** One training pair of token ids, before padding; `input` and `target` each end with EOS. */
export interface Seq2SeqExample {
  input: number[];
  target: number[];
}

export function randomInt(random: Random, bound: number): number {
  return Math.floor(random() * bound);
}

/**
 * Draws a window of `length` consecutive tokens. A window lies inside one document when some document is long
 * enough (weighted by how many windows each offers), otherwise in the documents joined with EOS between them.
 */
export function sampleWindow(documents: readonly (readonly number[])[], length: number, eos: number, random: Random): number[] {
  if (length <= 0) throw new RangeError(`Window length must be positive, got ${length}.`);
  const longEnough = documents.filter((document) => document.length >= length);
  if (longEnough.length > 0) {
    const weights = longEnough.map((document) => document.length - length + 1);
    let draw = randomInt(random, weights.reduce((sum, weight) => sum + weight, 0));
    for (let i = 0; i < longEnough.length; i++) {
      const weight = weights[i]!;
      if (draw < weight) return longEnough[i]!.slice(draw, draw + length);
      draw -= weight;
    }
  }
  const joined = documents.flatMap((document) => [...document, eos]);
  if (joined.length < length) {
    throw new Error(`The corpus has ${joined.length} tokens in all, fewer than one window of ${length}; use a larger corpus or shorter sequences.`);
  }
  const start = randomInt(random, joined.length - length + 1);
  return joined.slice(start, start + length);
}
