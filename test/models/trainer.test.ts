import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HyperT5, initBackend, learningRateAt, T5Model, Trainer, type T5Batch } from "../../src/models/index.js";
import { adamKernelName } from "../../src/models/backend.js";
import { adamWithOps } from "../../src/models/trainer.js";
import { disposeBatch, maxAbsDifference, tinyBatch, tinyConfig } from "./helpers.js";

let scratch: string;
let batch: T5Batch;

beforeAll(async () => {
  await initBackend(undefined, () => {});
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "models-trainer-"));
  batch = tinyBatch(tinyConfig());
});

afterAll(() => {
  disposeBatch(batch);
  fs.rmSync(scratch, { recursive: true, force: true });
});

function parameterValues(model: T5Model): number[] {
  return [...model.params.values()].flatMap((variable) => Array.from(variable.dataSync()));
}

describe("Trainer", () => {
  it("linear warm-up and decay", () => {
    const options = { learningRate: 1, totalSteps: 10, warmupSteps: 2 };
    expect(learningRateAt(options, 1)).toBeCloseTo(0.5);
    expect(learningRateAt(options, 2)).toBeCloseTo(1);
    expect(learningRateAt(options, 3)).toBeCloseTo(1);
    expect(learningRateAt(options, 10)).toBeCloseTo(1 / 8);
    expect(learningRateAt(options, 11)).toBe(0);
  });

  it("first Adam step moves by the learning rate", () => {
    const parameter = tf.variable(tf.tensor1d([1, -2, 3]));
    const trainer = new Trainer(new Map([["p", parameter]]), { learningRate: 0.1, totalSteps: 100 });
    trainer.trainStep([() => tf.sum(tf.mul(parameter, tf.tensor1d([4, -0.5, 0])))]);
    // Step 1 of Adam: m̂ = g and v̂ = g², so each coordinate moves by lr·g/(|g| + ε).
    const values = Array.from(parameter.dataSync());
    expect(values[0]).toBeCloseTo(0.9, 6);
    expect(values[1]).toBeCloseTo(-1.9, 6);
    expect(values[2]).toBe(3);
    trainer.dispose();
    parameter.dispose();
  });

  it("fused Adam kernel equals the ops", () => {
    if (tf.getKernel(adamKernelName, tf.getBackend()) === undefined) return;
    const attributes = { beta1: 0.9, beta2: 0.99, epsilon: 1e-6, learningRate: 0.01, correction1: 0.19, correction2: 0.0199, weightDecay: 0.1, gradientScale: 0.5 };
    const inputs = [0, 1, 2, 3].map((seed) => tf.randomNormal([7, 5], 0, 1, "float32", seed));
    const second = tf.abs(inputs[3]!);
    const fused = tf.engine().runKernel(adamKernelName, { parameter: inputs[0]!, gradient: inputs[1]!, firstMoment: inputs[2]!, secondMoment: second }, attributes) as tf.Tensor[];
    const reference = adamWithOps(inputs[0]!, inputs[1]!, inputs[2]!, second, attributes);
    fused.forEach((tensor, i) => expect(maxAbsDifference(tensor.dataSync(), reference[i]!.dataSync())).toBeLessThanOrEqual(1e-6));
    tf.dispose([...inputs, second, ...fused, ...reference]);
  });

  it("loss decreases on a fixed batch", () => {
    const model = T5Model.create(tinyConfig(), 1);
    const trainer = new Trainer(model.params, { learningRate: 0.01, totalSteps: 30 });
    const losses = Array.from({ length: 30 }, () => trainer.trainStep([() => model.loss(batch)]).loss);
    expect(losses[29]!).toBeLessThan(losses[0]! * 0.5);
    trainer.dispose();
    model.dispose();
  });

  it("accumulation equals one large batch", () => {
    const config = tinyConfig();
    const rows = (from: number, count: number): T5Batch => ({
      inputIds: tf.slice(batch.inputIds, [from, 0], [count, -1]),
      attentionMask: tf.slice(batch.attentionMask, [from, 0], [count, -1]),
      labels: tf.slice(batch.labels!, [from, 0], [count, -1]),
    });
    // Rows 0-1 and 2-3 of a 4-row batch with equal label counts, so the mean of means is the overall mean.
    const four: T5Batch = {
      inputIds: tf.concat([batch.inputIds, tf.slice(batch.inputIds, [0, 0], [1, -1])]) as tf.Tensor2D,
      attentionMask: tf.concat([batch.attentionMask, tf.slice(batch.attentionMask, [0, 0], [1, -1])]) as tf.Tensor2D,
      labels: tf.tensor2d([[6, 2, 1], [9, 1, 5], [3, 1, 4], [7, 8, 1]], undefined, "int32"),
    };
    const whole = T5Model.create(config, 2);
    const split = T5Model.create(config, 2);
    const wholeTrainer = new Trainer(whole.params, { learningRate: 0.01, totalSteps: 5 });
    const splitTrainer = new Trainer(split.params, { learningRate: 0.01, totalSteps: 5 });
    const first = { ...rows(0, 2), labels: tf.slice(four.labels!, [0, 0], [2, -1]) as tf.Tensor2D };
    const second = { inputIds: tf.slice(four.inputIds, [2, 0], [2, -1]), attentionMask: tf.slice(four.attentionMask, [2, 0], [2, -1]), labels: tf.slice(four.labels!, [2, 0], [2, -1]) };
    for (let step = 0; step < 3; step++) {
      wholeTrainer.trainStep([() => whole.loss(four)]);
      splitTrainer.trainStep([() => split.loss(first), () => split.loss(second)]);
    }
    expect(maxAbsDifference(parameterValues(whole), parameterValues(split))).toBeLessThanOrEqual(1e-5);
    tf.dispose([four.inputIds, four.attentionMask, four.labels!, first.inputIds, first.attentionMask, first.labels, second.inputIds, second.attentionMask, second.labels]);
    for (const item of [wholeTrainer, splitTrainer, whole, split]) item.dispose();
  });

  it("resume from a checkpoint matches an uninterrupted run", async () => {
    const config = tinyConfig({ dropout_rate: 0.1 });
    const options = { learningRate: 0.01, totalSteps: 6, warmupSteps: 1 };
    const step = (model: T5Model, trainer: Trainer): void => {
      model.reseedDropout(trainer.step + 1);
      trainer.trainStep([() => model.loss(batch, { training: true })]);
    };
    const straight = T5Model.create(config, 3);
    const straightTrainer = new Trainer(straight.params, options);
    for (let i = 0; i < 6; i++) step(straight, straightTrainer);

    const first = T5Model.create(config, 3);
    const firstTrainer = new Trainer(first.params, options);
    for (let i = 0; i < 3; i++) step(first, firstTrainer);
    const folder = path.join(scratch, "checkpoint");
    await firstTrainer.save(folder);
    await firstTrainer.save(folder);

    // A fresh process would start from a different initialization; the checkpoint overrides it.
    const resumed = T5Model.create(config, 99);
    const resumedTrainer = new Trainer(resumed.params, options);
    expect(resumedTrainer.restore(path.join(scratch, "absent"))).toBe(false);
    expect(resumedTrainer.restore(folder)).toBe(true);
    expect(resumedTrainer.step).toBe(3);
    for (let i = 0; i < 3; i++) step(resumed, resumedTrainer);
    expect(maxAbsDifference(parameterValues(resumed), parameterValues(straight))).toBe(0);
    for (const item of [straightTrainer, firstTrainer, resumedTrainer, straight, first, resumed]) item.dispose();
  });

  it("tensor count stays flat for HyperT5 with accumulation", () => {
    const config = tinyConfig();
    const downstream = T5Model.create(config, 5);
    const hyper = HyperT5.fromDownstream(downstream, { kind: "lora", loraRank: 2, seed: 5 });
    const fewShotIds = tf.tensor2d([[2, 3, 4, 1], [5, 6, 1, 0], [7, 1, 0, 0]], undefined, "int32");
    const fewShotMask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0]], undefined, "int32");
    const loss = (): tf.Scalar => downstream.loss(batch, { peft: hyper.generate(fewShotIds, fewShotMask, { training: true }), training: true });
    const trainer = new Trainer(hyper.variables, { learningRate: 1e-3, totalSteps: 20 });
    trainer.trainStep([loss, loss]);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 20; i++) trainer.trainStep([loss, loss]);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    hyper.dispose();
    downstream.dispose();
    tf.dispose([fewShotIds, fewShotMask]);
  });
});
