/** Batched rank-classification scoring and greedy generation with a T5, optionally adapted by PEFT parameters. */
import * as tf from "@tensorflow/tfjs";
import type { PeftParameters, T5Model } from "./t5.js";

export interface ScoringExample {
  inputIds: number[];
  /** Each choice as target token ids (include EOS if it should count). */
  choices: number[][];
}

export interface InferenceOptions {
  /** PEFT parameters shared by every example, or with a leading axis of one row per example. */
  peft?: PeftParameters;
  /** Rows per forward pass. */
  batchSize?: number;
}

/** Pads rows of token ids with `pad` to a rectangle and returns the ids and the 1/0 mask. */
export function padRows(rows: number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const width = Math.max(1, ...rows.map((row) => row.length));
  return {
    ids: rows.map((row) => [...row, ...new Array<number>(width - row.length).fill(pad)]),
    mask: rows.map((row) => [...new Array<number>(row.length).fill(1), ...new Array<number>(width - row.length).fill(0)]),
  };
}

/** The PEFT tensors for the given example rows: shared tensors pass through, per-example ones are gathered. */
function peftForRows(peft: PeftParameters | undefined, rows: number[], exampleCount: number): PeftParameters | undefined {
  if (peft === undefined) return undefined;
  const index = tf.tensor1d(rows, "int32");
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, tensor] of Object.entries(peft.tensors)) {
    if (tensor.rank === 3 && tensor.shape[0] === exampleCount && exampleCount > 1) tensors[name] = tf.gather(tensor, index);
    else tensors[name] = tensor;
  }
  return { tensors, loraScale: peft.loraScale ?? 1 };
}

/**
 * Summed log-likelihood of every choice of every example as the decoder target (rank classification):
 * `scores[i][c] = Σ_t log p(choice_t | input, choice_<t)`.
 */
export function scoreChoices(model: T5Model, examples: ScoringExample[], options: InferenceOptions = {}): number[][] {
  const pairs: { example: number; choice: number }[] = [];
  examples.forEach((example, i) => example.choices.forEach((_, c) => pairs.push({ example: i, choice: c })));
  const scores = examples.map((example) => new Array<number>(example.choices.length).fill(0));
  const batchSize = options.batchSize ?? 32;
  const pad = model.config.pad_token_id;
  for (let start = 0; start < pairs.length; start += batchSize) {
    const chunk = pairs.slice(start, start + batchSize);
    const inputs = padRows(chunk.map((pair) => examples[pair.example]!.inputIds), pad);
    const targets = chunk.map((pair) => examples[pair.example]!.choices[pair.choice]!);
    const width = Math.max(1, ...targets.map((target) => target.length));
    const labels = targets.map((target) => [...target, ...new Array<number>(width - target.length).fill(-100)]);
    const sums = tf.tidy(() => {
      const labelTensor = tf.tensor2d(labels, undefined, "int32");
      const logits = model.forward(
        { inputIds: tf.tensor2d(inputs.ids, undefined, "int32"), attentionMask: tf.tensor2d(inputs.mask, undefined, "int32"), labels: labelTensor },
        { peft: peftForRows(options.peft, chunk.map((pair) => pair.example), examples.length) },
      );
      const logProbabilities = tf.logSoftmax(logits);
      const kept = tf.notEqual(labelTensor, -100);
      const targetIds = tf.where(kept, labelTensor, tf.zerosLike(labelTensor));
      // A flat gather: tfjs-backend-wasm 4.22's GatherV2 with batchDims reads out of bounds.
      const [rows, length, vocab] = logProbabilities.shape;
      const positions = tf.reshape(tf.range(0, rows * length, 1, "int32"), [rows, length]);
      const flatIndex = tf.add(tf.mul(positions, tf.scalar(vocab, "int32")), targetIds);
      const picked = tf.reshape(tf.gather(tf.reshape(logProbabilities, [-1]), tf.reshape(flatIndex, [-1])), [rows, length]);
      return tf.sum(tf.mul(picked, tf.cast(kept, "float32")), 1);
    });
    const values = sums.dataSync();
    sums.dispose();
    chunk.forEach((pair, i) => {
      scores[pair.example]![pair.choice] = values[i] as number;
    });
  }
  return scores;
}

/** Greedy decoding: for each input, tokens until EOS (not included) or `maxLength` tokens. */
export function generateGreedy(model: T5Model, inputs: number[][], options: InferenceOptions & { maxLength: number }): number[][] {
  const outputs: number[][] = [];
  const batchSize = options.batchSize ?? 32;
  const { eos_token_id: eos, decoder_start_token_id: start, pad_token_id: pad } = model.config;
  for (let first = 0; first < inputs.length; first += batchSize) {
    const rows = inputs.slice(first, first + batchSize);
    const padded = padRows(rows, pad);
    const inputIds = tf.tensor2d(padded.ids, undefined, "int32");
    const mask = tf.tensor2d(padded.mask, undefined, "int32");
    const peft = peftForRows(options.peft, rows.map((_, i) => first + i), inputs.length);
    const encoded = tf.tidy(() => model.encode(inputIds, mask, { peft }));
    const sequences = rows.map(() => [start]);
    const done = rows.map(() => false);
    for (let step = 0; step < options.maxLength && done.includes(false); step++) {
      const next = tf.tidy(() => {
        const logits = model.decode(encoded, mask, tf.tensor2d(sequences, undefined, "int32"), { peft });
        const last = tf.squeeze(tf.slice(logits, [0, step, 0], [-1, 1, -1]), [1]);
        return tf.argMax(last, 1);
      });
      const ids = next.dataSync();
      next.dispose();
      sequences.forEach((sequence, i) => {
        const token = done[i] ? pad : (ids[i] as number);
        sequence.push(token);
        if (token === eos) done[i] = true;
      });
    }
    const gathered = Object.values(peft?.tensors ?? {}).filter((tensor) => !Object.values(options.peft?.tensors ?? {}).includes(tensor));
    tf.dispose([inputIds, mask, encoded, ...gathered]);
    for (const sequence of sequences) {
      const tokens = sequence.slice(1);
      const end = tokens.indexOf(eos);
      outputs.push(end === -1 ? tokens : tokens.slice(0, end));
    }
  }
  return outputs;
}
