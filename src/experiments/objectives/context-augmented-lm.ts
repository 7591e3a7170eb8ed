/**
 * The hyperpretraining objective of HyperTuning (Phang et al. 2022, section 4.2 and appendix D): context-augmented
 * conditional language modeling. A window is cut into consecutive segments A B C D with B short. The frozen
 * downstream model reads B and predicts C, while the hypermodel reads A and D, each introduced by a sentinel, and
 * generates the parameters that help it. The prefix-only variant gives the hypermodel A alone (D is empty).
 */

import { randomInt, type Random, type SpecialTokenIds } from "./tokens.js";

export type HyperpretrainVariant = "prefix-and-suffix" | "prefix-only";

export interface ContextAugmentedOptions {
  /** Tokens in segment B, the downstream input (32 in HyperTuning). */
  downstreamInputLength: number;
  /** Tokens in segment C, the downstream target. */
  targetLength: number;
  /** Tokens in the whole window A B C D (512 in HyperTuning). */
  windowLength: number;
  variant: HyperpretrainVariant;
}

export interface ContextAugmentedExample {
  /** `<extra_id_0> A <extra_id_1> D </s>` for prefix-and-suffix, `<extra_id_0> A </s>` for prefix-only. */
  hyperInput: number[];
  /** `B </s>` */
  input: number[];
  /** `C </s>` */
  target: number[];
  segments: { a: number[]; b: number[]; c: number[]; d: number[] };
}

/** Checks that a window can hold non-empty A (and D) around B and C. */
export function validateContextAugmentedOptions(options: ContextAugmentedOptions): void {
  const context = options.windowLength - options.downstreamInputLength - options.targetLength;
  const needed = options.variant === "prefix-only" ? 1 : 2;
  if (options.downstreamInputLength < 1 || options.targetLength < 1 || context < needed) {
    throw new RangeError(
      `A window of ${options.windowLength} tokens cannot hold B (${options.downstreamInputLength}), C (${options.targetLength}) and ${needed} context segment(s) of at least one token.`,
    );
  }
}

/**
 * Cuts `window` (exactly `windowLength` tokens) into A B C D. For prefix-and-suffix, the length of A is uniform
 * over the values that leave A and D non-empty; for prefix-only, B C sits at the end of the window.
 */
export function contextAugmentedExample(window: readonly number[], special: SpecialTokenIds, options: ContextAugmentedOptions, random: Random): ContextAugmentedExample {
  validateContextAugmentedOptions(options);
  if (window.length !== options.windowLength) {
    throw new RangeError(`Expected a window of ${options.windowLength} tokens, got ${window.length}.`);
  }
  const context = options.windowLength - options.downstreamInputLength - options.targetLength;
  const aLength = options.variant === "prefix-only" ? context : 1 + randomInt(random, context - 1);
  const bEnd = aLength + options.downstreamInputLength;
  const cEnd = bEnd + options.targetLength;
  const segments = {
    a: window.slice(0, aLength),
    b: window.slice(aLength, bEnd),
    c: window.slice(bEnd, cEnd),
    d: window.slice(cEnd),
  };
  const hyperInput =
    options.variant === "prefix-only"
      ? [special.sentinel(0), ...segments.a, special.eos]
      : [special.sentinel(0), ...segments.a, special.sentinel(1), ...segments.d, special.eos];
  return { hyperInput, input: [...segments.b, special.eos], target: [...segments.c, special.eos], segments };
}
