/**
 * Few-shot sampling and input formatting in token ids (HyperTuning, Phang et al. 2022, section 5.1 and appendix A.1).
 * Few-shot inputs read `<x> input 1 <y> target 1 <x> input 2 <y> target 2 …`; for S-NI the definition comes first
 * as `<x> definition`. Pieces are tokenized once by the `tokenize` stage and concatenated here, so training loops
 * never re-tokenize.
 */
import { seededRandom, sampleIndices } from "./random.js";
import type { TokenizedExample, TokenizedTask } from "./tokenized.js";
import type { TokenizerInfo } from "./tokenizer.js";

/** Maximum sequence lengths in tokens, each including the closing `</s>`. */
export interface SequenceLengths {
  /** Hypermodel input (the few-shot examples). */
  hypermodelInput: number;
  /** Downstream model input (the target example). */
  downstreamInput: number;
  /** Decoder target. */
  target: number;
}

/** The lengths of HyperTuning, Phang et al. 2022, appendix A: 1024, 384 and 128. */
export const paperSequenceLengths: SequenceLengths = { hypermodelInput: 1024, downstreamInput: 384, target: 128 };

/** Special ids the formatting needs (a `TokenizerInfo` has them all). */
export type SpecialIds = Pick<TokenizerInfo, "xId" | "yId" | "eosId">;

/**
 * Task conditioning. `few-shot` samples K training examples. `definition` (S-NI "Def") uses the task definition
 * alone, and `definition-2pos` (S-NI "Def+2Pos") adds the task's first two positive examples.
 */
export type Conditioning = { kind: "few-shot"; k: number; seed: number } | { kind: "definition" } | { kind: "definition-2pos" };

/** The maximum number of few-shot examples (HyperTuning, Phang et al. 2022, section 5.1). */
export const maxFewShotExamples = 16;

/** Position of the target example: its split and its index in that split. */
export interface ExampleRef {
  split: "train" | "test";
  index: number;
}

/**
 * Positions in `task.train` of the few-shot examples for the target `ref`: `k` distinct training examples, never
 * the target itself, drawn from a generator seeded by (`seed`, task, split, index). Every model evaluated with the
 * same seed therefore sees the same few-shot sets.
 */
export function sampleFewShotIndices(task: TokenizedTask, ref: ExampleRef, k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 0 || k > maxFewShotExamples) {
    throw new Error(`few-shot count ${k} is invalid: it must be an integer from 0 to ${maxFewShotExamples}`);
  }
  const random = seededRandom(seed, "few-shot", task.name, ref.split, ref.index);
  const excluded = ref.split === "train" ? ref.index : undefined;
  return sampleIndices(random, task.train.length, k, excluded);
}

/** Returns `ids` cut to `length - 1` tokens followed by `</s>`. */
export function withEos(ids: readonly number[], length: number, eosId: number): number[] {
  if (length < 1) throw new Error(`sequence length ${length} is invalid: it must be at least 1`);
  const kept = ids.length > length - 1 ? ids.slice(0, length - 1) : ids.slice();
  kept.push(eosId);
  return kept;
}

/**
 * Concatenates `<x> input <y> target` for each pair (after an optional `<x> definition`), without `</s>`. Whole
 * pairs are kept while they fit in `maxLength`; when not even the first piece fits, the concatenation is cut.
 */
export function formatFewShotIds(
  pairs: readonly { input: readonly number[]; target: readonly number[] }[],
  special: SpecialIds,
  maxLength: number,
  definition?: readonly number[],
): number[] {
  const pieces: number[][] = [];
  if (definition !== undefined) pieces.push([special.xId, ...definition]);
  for (const pair of pairs) pieces.push([special.xId, ...pair.input, special.yId, ...pair.target]);
  const result: number[] = [];
  for (const piece of pieces) {
    if (result.length + piece.length > maxLength) {
      if (result.length === 0) return piece.slice(0, maxLength);
      break;
    }
    result.push(...piece);
  }
  return result;
}

/** Returns the task's example at `ref`. */
export function exampleAt(task: TokenizedTask, ref: ExampleRef): TokenizedExample {
  const example = (ref.split === "train" ? task.train : task.test)[ref.index];
  if (!example) throw new Error(`task ${task.name} has no ${ref.split} example ${ref.index}`);
  return example;
}

/** Returns the conditioning ids (few-shot examples or definition) without `</s>`, cut to `maxLength`. */
export function conditioningIds(
  task: TokenizedTask,
  ref: ExampleRef,
  conditioning: Conditioning,
  special: SpecialIds,
  maxLength: number,
): number[] {
  if (conditioning.kind === "few-shot") {
    const pairs = sampleFewShotIndices(task, ref, conditioning.k, conditioning.seed).map((index) => task.train[index]!);
    return formatFewShotIds(pairs, special, maxLength);
  }
  if (task.definition === undefined) {
    throw new Error(`task ${task.name} has no definition, so the ${conditioning.kind} setting cannot be used`);
  }
  const positives = conditioning.kind === "definition-2pos" ? (task.positives ?? []).slice(0, 2) : [];
  if (conditioning.kind === "definition-2pos" && positives.length < 2) {
    throw new Error(`task ${task.name} has ${positives.length} positive examples; Def+2Pos needs 2`);
  }
  const pairs = positives.map((positive) => ({ input: positive.input, target: positive.output }));
  return formatFewShotIds(pairs, special, maxLength, task.definition);
}

/** Hypermodel input: the conditioning ids plus `</s>`, at most `lengths.hypermodelInput` tokens. */
export function hypermodelInputIds(
  task: TokenizedTask,
  ref: ExampleRef,
  conditioning: Conditioning,
  special: SpecialIds,
  lengths: SequenceLengths,
): number[] {
  const ids = conditioningIds(task, ref, conditioning, special, lengths.hypermodelInput - 1);
  ids.push(special.eosId);
  return ids;
}

/** Downstream input of a model without few-shot inputs (T5-MTF, hypermodel's downstream T5): `input </s>`. */
export function downstreamInputIds(example: TokenizedExample, special: SpecialIds, lengths: SequenceLengths): number[] {
  return withEos(example.input, lengths.downstreamInput, special.eosId);
}

/**
 * Input of a model that reads few-shot examples in its own input (T5-MTF-Few-shot, MetaICL-style): the conditioning
 * ids (at most `hypermodelInput - 1` tokens) followed by `<x> input <y> </s>` (at most `downstreamInput` tokens), so the
 * total stays within `hypermodelInput + downstreamInput` (1408 in HyperTuning, Phang et al. 2022, appendix B.1).
 */
export function fewShotModelInputIds(
  task: TokenizedTask,
  ref: ExampleRef,
  conditioning: Conditioning,
  special: SpecialIds,
  lengths: SequenceLengths,
): number[] {
  const prefix = conditioningIds(task, ref, conditioning, special, lengths.hypermodelInput - 1);
  const example = exampleAt(task, ref);
  const room = Math.max(0, lengths.downstreamInput - 3);
  return [...prefix, special.xId, ...example.input.slice(0, room), special.yId, special.eosId];
}

/** Decoder target: `target </s>`, at most `lengths.target` tokens. */
export function targetIds(example: TokenizedExample, special: SpecialIds, lengths: SequenceLengths): number[] {
  return withEos(example.target, lengths.target, special.eosId);
}

/** Target ids of each answer choice (`choice </s>`), for rank classification; empty for free-form examples. */
export function choiceTargetIds(example: TokenizedExample, special: SpecialIds, lengths: SequenceLengths): number[][] {
  return (example.choices ?? []).map((choice) => withEos(choice, lengths.target, special.eosId));
}
