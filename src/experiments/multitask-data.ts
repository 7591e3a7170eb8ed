/**
 * Model inputs of every multi-task method, built from tokenized tasks. The hypermodels read the few-shot examples
 * (or the S-NI definition) and the downstream T5 reads the target input alone. T5-MTF-Few-shot reads both in one
 * input, as MetaICL does. T5-MTF and its PEFT variants read the target input alone, except on S-NI, where the
 * definition (and two positives) are part of the input, as in Tk-Instruct.
 */

import {
  downstreamInputIds,
  exampleAt,
  fewShotModelInputIds,
  hypermodelInputIds,
  targetIds,
  type Conditioning,
  type ExampleRef,
  type SequenceLengths,
  type SpecialIds,
  type TokenizedTask,
} from "../../datasets/index.js";
import type { EvalDataset, MtfMethod } from "./results.js";

/** One model example: the token ids each model reads, all ending with `</s>`. */
export interface ModelExample {
  /** Hypermodel input, for the HyperT5 methods only. */
  hyperInput?: number[];
  input: number[];
  target: number[];
}

/** Input layout of a method: target input only, conditioning concatenated before it, or a separate hypermodel input. */
export type InputStyle = "plain" | "concatenated" | "hypermodel";

export function isHyperMethod(method: MtfMethod | "hyper-prefix-mlp"): boolean {
  return method.startsWith("hyper-");
}

/** Picks the input layout of `method` on `dataset`. */
export function inputStyle(method: MtfMethod | "hyper-prefix-mlp", dataset: EvalDataset): InputStyle {
  if (isHyperMethod(method)) return "hypermodel";
  if (method === "t5-mtf-few-shot" || dataset.startsWith("sni/")) return "concatenated";
  return "plain";
}

/** Conditioning of a dataset: the S-NI settings use the definition, the others `fewShotCount` sampled examples. */
export function conditioningFor(dataset: EvalDataset, fewShotCount: number, seed: number): Conditioning {
  if (dataset === "sni/def") return { kind: "definition" };
  if (dataset === "sni/def-2pos") return { kind: "definition-2pos" };
  return { kind: "few-shot", k: fewShotCount, seed };
}

/** Builds the inputs of `method` for the example at `ref`; the target is the example's reference output. */
export function buildModelExample(
  task: TokenizedTask,
  ref: ExampleRef,
  style: InputStyle,
  conditioning: Conditioning,
  special: SpecialIds,
  lengths: SequenceLengths,
): ModelExample {
  const example = exampleAt(task, ref);
  const target = targetIds(example, special, lengths);
  if (style === "hypermodel") {
    return { hyperInput: hypermodelInputIds(task, ref, conditioning, special, lengths), input: downstreamInputIds(example, special, lengths), target };
  }
  if (style === "concatenated") return { input: fewShotModelInputIds(task, ref, conditioning, special, lengths), target };
  return { input: downstreamInputIds(example, special, lengths), target };
}

/** A training position: which task and which of its training examples. */
export interface TrainingRef {
  task: TokenizedTask;
  index: number;
}

/**
 * Draws training examples uniformly over all training examples of the tasks (examples-proportional mixing
 * without a cap). Tasks without training examples are skipped; at least one task must have some.
 */
export class TrainingMixture {
  readonly #tasks: TokenizedTask[];
  readonly #cumulative: number[] = [];
  readonly total: number;

  constructor(tasks: readonly TokenizedTask[]) {
    this.#tasks = tasks.filter((task) => task.train.length > 0);
    let total = 0;
    for (const task of this.#tasks) {
      total += task.train.length;
      this.#cumulative.push(total);
    }
    if (total === 0) throw new Error(`None of the ${tasks.length} training tasks has training examples.`);
    this.total = total;
  }

  /** Returns the example at position `draw` in [0, total) of the concatenated training splits. */
  at(draw: number): TrainingRef {
    let low = 0;
    let high = this.#cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (draw < this.#cumulative[middle]!) high = middle;
      else low = middle + 1;
    }
    const start = low === 0 ? 0 : this.#cumulative[low - 1]!;
    return { task: this.#tasks[low]!, index: draw - start };
  }

  sample(random: () => number): TrainingRef {
    return this.at(Math.floor(random() * this.total));
  }
}
