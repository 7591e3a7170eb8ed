/** Conversion of token-id rows into the padded tensors a T5 batch needs. */

import * as tf from "@tensorflow/tfjs";

import { padRows } from "../models/inference.js";
import type { T5Batch } from "../models/t5.js";

/** Ignored label id of Hugging Face losses. */
export const ignoredLabel = -100;

/** Builds a T5 batch from input and target rows; padded target positions become -100, so the loss skips them. */
export function seq2seqBatch(inputs: number[][], targets: number[][], pad: number): T5Batch {
  const padded = padRows(inputs, pad);
  const width = Math.max(1, ...targets.map((target) => target.length));
  const labels = targets.map((target) => [...target, ...new Array<number>(width - target.length).fill(ignoredLabel)]);
  return {
    inputIds: tf.tensor2d(padded.ids, undefined, "int32"),
    attentionMask: tf.tensor2d(padded.mask, undefined, "int32"),
    labels: tf.tensor2d(labels, undefined, "int32"),
  };
}

/** Padded ids and mask of hypermodel inputs. */
export function paddedIds(rows: number[][], pad: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const padded = padRows(rows, pad);
  return { ids: tf.tensor2d(padded.ids, undefined, "int32"), mask: tf.tensor2d(padded.mask, undefined, "int32") };
}

/** Length of the longest row (at least 1): the padded width, for FLOP estimates. */
export function maxLength(rows: number[][]): number {
  return Math.max(1, ...rows.map((row) => row.length));
}
