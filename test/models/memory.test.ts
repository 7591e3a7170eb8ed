import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, T5Model, Trainer, type T5Batch } from "../../src/models/index.js";
import { disposeBatch, tinyConfig } from "./helpers.js";

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

describe("training memory", () => {
  // A step of this model costs about 7-10 ms of tfjs dispatch on wasm, so the loop alone takes one to two minutes.
  it("tensor count flat over 10,000 steps", () => {
    const config = tinyConfig({ vocab_size: 16, d_model: 4, d_kv: 2, num_heads: 2, d_ff: 4, num_layers: 1, num_decoder_layers: 1, dropout_rate: 0.1 });
    const model = T5Model.create(config, 4);
    const batch: T5Batch = {
      inputIds: tf.tensor2d([[3, 4, 1]], undefined, "int32"),
      attentionMask: tf.tensor2d([[1, 1, 1]], undefined, "int32"),
      labels: tf.tensor2d([[5, 1]], undefined, "int32"),
    };
    const trainer = new Trainer(model.params, { learningRate: 1e-3, totalSteps: 10_000, clipNorm: 1 });
    trainer.trainStep([() => model.loss(batch, { training: true })]);
    const before = tf.memory();
    for (let step = 1; step < 10_000; step++) trainer.trainStep([() => model.loss(batch, { training: true })]);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    trainer.dispose();
    model.dispose();
    disposeBatch(batch);
  }, 900_000);
});
