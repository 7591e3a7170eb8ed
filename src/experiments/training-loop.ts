/**
 * The optimization loop every training stage shares: steps of accumulated micro-batches, progress events, and
 * checkpoints in the stage's work folder, so a killed or stopped stage resumes from its last checkpoint. Batches
 * must be a function of the step number alone, so a resumed run trains on the batches an uninterrupted one would.
 */

import fs from "node:fs";
import path from "node:path";

import type * as tf from "@tensorflow/tfjs";

import type { StageContext } from "../engine/stage.js";
import { childSeed } from "../models/random.js";
import type { Trainer } from "../models/trainer.js";

export interface TrainingLoopOptions {
  context: StageContext;
  /** Name of this run inside the stage (`span-corruption`, `mtf`, ...), used for the checkpoint folder and events. */
  phase: string;
  trainer: Trainer;
  steps: number;
  /** Loss functions of the micro-batches of optimizer step `step` (1-based). */
  microBatches(step: number): (() => tf.Scalar)[];
  checkpointEvery: number;
  /** Examples per optimizer step, for the throughput figure. */
  examplesPerStep: number;
  /**
   * Models whose dropout masks restart before every step from (`seed`, model index, step), so a resumed run draws
   * the masks an uninterrupted one would.
   */
  dropout?: { models: { reseedDropout(seed: number): void }[]; seed: number };
  /** Runs after every step, e.g. to keep a checkpoint or evaluate. */
  afterStep?(step: number, loss: number): Promise<void>;
}

export interface TrainingLoopResult {
  steps: number;
  /** Mean loss of the last steps (up to 10), a less noisy figure than the last step's loss. */
  finalLoss: number;
  /** Loss of every step, including the steps run before a resume. */
  losses: number[];
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
}

const lossesFile = "losses.json";

/** Runs (or resumes) the loop to `steps` optimizer steps. */
export async function runTrainingLoop(options: TrainingLoopOptions): Promise<TrainingLoopResult> {
  const { context, trainer, phase } = options;
  const checkpoint = path.join(context.workDir, `checkpoint-${phase}`);
  let losses: number[] = [];
  if (trainer.restore(checkpoint)) {
    losses = JSON.parse(fs.readFileSync(path.join(checkpoint, lossesFile), "utf8")) as number[];
    context.emit({ type: "log", level: "info", message: `${phase}: resumed from the checkpoint of step ${trainer.step}.` });
  }
  const resumedFrom = trainer.step;
  const save = async (): Promise<void> => {
    await trainer.save(checkpoint);
    fs.writeFileSync(path.join(checkpoint, lossesFile), JSON.stringify(losses));
    context.emit({ type: "checkpoint", step: trainer.step, path: checkpoint });
  };

  let windowStart = Date.now();
  let windowSteps = 0;
  while (trainer.step < options.steps) {
    if (context.signal.aborted) {
      await save();
      throw new Error(`${phase}: stopped at step ${trainer.step}; the checkpoint is saved and the next run resumes from it.`);
    }
    const step = trainer.step + 1;
    options.dropout?.models.forEach((model, index) => model.reseedDropout(childSeed(options.dropout!.seed, `${phase}/${index}/${step}`)));
    const result = trainer.trainStep(options.microBatches(step));
    if (!Number.isFinite(result.loss)) {
      throw new Error(`${phase}: the loss is ${result.loss} at step ${step}; lower the learning rate (${trainer.options.learningRate}).`);
    }
    losses.push(result.loss);
    windowSteps += 1;
    const seconds = (Date.now() - windowStart) / 1000;
    context.emit({
      type: "progress",
      step,
      total: options.steps,
      loss: result.loss,
      throughput: seconds > 0 ? (windowSteps * options.examplesPerStep) / seconds : undefined,
      unit: "examples",
      phase,
    });
    if (seconds > 10) {
      windowStart = Date.now();
      windowSteps = 0;
    }
    await options.afterStep?.(step, result.loss);
    if (step % options.checkpointEvery === 0 && step < options.steps) await save();
    // A training step is synchronous, so the trainer's SIGTERM handler (which aborts `context.signal`) runs only
    // when the loop yields to the event loop. Without this yield a stopped stage would train to the end.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await save();
  const tail = losses.slice(-10);
  const finalLoss = tail.length === 0 ? Number.NaN : tail.reduce((sum, loss) => sum + loss, 0) / tail.length;
  return { steps: options.steps, finalLoss, losses, resumedFrom };
}

/** Splits a batch of `batchSize` items into micro-batches of `microBatchSize` (the last may be smaller). */
export function microBatchRanges(batchSize: number, microBatchSize: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < batchSize; start += microBatchSize) ranges.push([start, Math.min(batchSize, start + microBatchSize)]);
  return ranges;
}
