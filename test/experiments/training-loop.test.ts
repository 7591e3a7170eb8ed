import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { beforeAll, describe, expect, it } from "vitest";

import type { StageContext } from "../../src/engine/stage.js";
import { seq2seqBatch } from "../../src/experiments/batches.js";
import { microBatchRanges, runTrainingLoop } from "../../src/experiments/training-loop.js";
import { initBackend, parseT5Config, T5Model, Trainer } from "../../src/models/index.js";

const config = parseT5Config({ vocab_size: 32, d_model: 8, d_kv: 4, d_ff: 16, num_heads: 2, num_layers: 2, dropout_rate: 0 }, "test config");
const dropoutConfig = parseT5Config({ vocab_size: 32, d_model: 8, d_kv: 4, d_ff: 16, num_heads: 2, num_layers: 2, dropout_rate: 0.3 }, "dropout config");

function context(workDir: string, abortAfter?: number): { context: StageContext; events: Parameters<StageContext["emit"]>[0][] } {
  const events: Parameters<StageContext["emit"]>[0][] = [];
  const controller = new AbortController();
  return {
    events,
    context: {
      stage: { id: "test", kind: "test", params: {}, upstream: [], code: [], resource: "cpu" },
      outputDir: workDir,
      workDir,
      inputs: {},
      signal: controller.signal,
      emit: (event) => {
        events.push(event);
        if (abortAfter !== undefined && event.type === "progress" && event.step === abortAfter) controller.abort();
      },
    },
  };
}

/** Runs the loop on a fresh model; batches depend on the step only. */
async function train(workDir: string, steps: number, abortAfter?: number, modelConfig = config): Promise<{ weights: Float32Array; losses: number[]; resumedFrom: number }> {
  const model = T5Model.create(modelConfig, 7);
  const trainer = new Trainer(model.params, { learningRate: 0.01, totalSteps: steps });
  const { context: stageContext } = context(workDir, abortAfter);
  try {
    const result = await runTrainingLoop({
      context: stageContext,
      phase: "test",
      trainer,
      steps,
      checkpointEvery: 100,
      examplesPerStep: 2,
      dropout: { models: [model], seed: 11 },
      microBatches: (step) => [() => model.loss(seq2seqBatch([[3 + step, 4, 1], [5, 6 + step, 7, 1]], [[8, 1], [9 + step, 1]], 0), { training: true })],
    });
    return { weights: (await model.parameter("shared.weight").data()) as Float32Array, losses: result.losses, resumedFrom: result.resumedFrom };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

describe("runTrainingLoop", () => {
  beforeAll(async () => {
    await initBackend("cpu", () => undefined);
  });

  it("resumes a stopped run to the same weights", async () => {
    const straight = await train(fs.mkdtempSync(path.join(os.tmpdir(), "loop-straight-")), 6);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "loop-resumed-"));
    await expect(train(workDir, 6, 3)).rejects.toThrow(/stopped at step 3/);
    const resumed = await train(workDir, 6);
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.losses).toHaveLength(6);
    expect(resumed.losses).toEqual(straight.losses);
    expect(Array.from(resumed.weights)).toEqual(Array.from(straight.weights));
  });

  it("resumes with dropout to the same weights", async () => {
    const straight = await train(fs.mkdtempSync(path.join(os.tmpdir(), "loop-dropout-straight-")), 6, undefined, dropoutConfig);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "loop-dropout-resumed-"));
    await expect(train(workDir, 6, 3, dropoutConfig)).rejects.toThrow(/stopped at step 3/);
    const resumed = await train(workDir, 6, undefined, dropoutConfig);

    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.losses).toEqual(straight.losses);
    expect(Array.from(resumed.weights)).toEqual(Array.from(straight.weights));
  });

  it("stops on an abort from a timer", async () => {
    // A stage's SIGTERM handler runs as a macrotask, like this timer: the loop must yield for it to run.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "loop-timer-"));
    const model = T5Model.create(config, 3);
    const steps = 50;
    const trainer = new Trainer(model.params, { learningRate: 0.01, totalSteps: steps });
    const { context: stageContext } = context(workDir);
    const controller = new AbortController();
    stageContext.signal = controller.signal;
    const emit = stageContext.emit;
    stageContext.emit = (event) => {
      emit(event);
      if (event.type === "progress" && event.step === 2) setTimeout(() => controller.abort(), 0);
    };
    try {
      const loop = runTrainingLoop({
        context: stageContext,
        phase: "timer",
        trainer,
        steps,
        checkpointEvery: 100,
        examplesPerStep: 1,
        microBatches: (step) => [() => model.loss(seq2seqBatch([[3 + (step % 20), 4, 1]], [[8, 1]], 0))],
      });
      await expect(loop).rejects.toThrow(/stopped at step/);
      expect(trainer.step).toBeLessThan(steps);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it("reports progress for every step", async () => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "loop-events-"));
    const model = T5Model.create(config, 1);
    const trainer = new Trainer(model.params, { learningRate: 0.01, totalSteps: 2 });
    const { context: stageContext, events } = context(workDir);
    await runTrainingLoop({
      context: stageContext,
      phase: "events",
      trainer,
      steps: 2,
      checkpointEvery: 1,
      examplesPerStep: 1,
      microBatches: () => [() => model.loss(seq2seqBatch([[3, 1]], [[4, 1]], 0))],
    });
    trainer.dispose();
    model.dispose();
    const steps = events.flatMap((event) => (event.type === "progress" ? [event.step] : []));
    expect(steps).toEqual([1, 2]);
    expect(events.some((event) => event.type === "checkpoint")).toBe(true);
  });
});

describe("microBatchRanges", () => {
  it("covers the batch", () => {
    expect(microBatchRanges(10, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
  });
});
