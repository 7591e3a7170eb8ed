/**
 * The prefix language-modeling objective of T5 LM adaptation (Lester et al. 2021, section 2.2): a window of text is
 * split at a uniformly random point, the model reads the first part and predicts the rest.
 */

import { randomInt, type Random, type Seq2SeqExample, type SpecialTokenIds } from "./tokens.js";

/**
 * Splits `tokens` (without EOS) so that the input holds at most `maxInputLength - 1` tokens and the target at most
 * `maxTargetLength - 1`, each followed by EOS. Both parts are non-empty.
 */
export function prefixLmSplit(tokens: readonly number[], special: SpecialTokenIds, maxInputLength: number, maxTargetLength: number, random: Random): Seq2SeqExample {
  const lowest = Math.max(1, tokens.length - (maxTargetLength - 1));
  const highest = Math.min(tokens.length - 1, maxInputLength - 1);
  if (lowest > highest) {
    throw new RangeError(`Cannot split ${tokens.length} tokens into an input of at most ${maxInputLength - 1} and a target of at most ${maxTargetLength - 1}.`);
  }
  const split = lowest + randomInt(random, highest - lowest + 1);
  return { input: [...tokens.slice(0, split), special.eos], target: [...tokens.slice(split), special.eos] };
}
