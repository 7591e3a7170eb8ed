/**
 * Multi-task fine-tuning (HyperTuning, Phang et al. 2022, section 5.1): every method trains on examples drawn from
 * the training tasks of one collection, with Adam, linear decay and the profile's batch size reached through
 * gradient accumulation.
 */

import fs from "node:fs";
import path from "node:path";

import type * as tf from "@tensorflow/tfjs";

import { seededRandom, type SequenceLengths, type SpecialIds, type TokenizedCollection } from "../../datasets/index.js";
import type { StageContext } from "../engine/stage.js";
import { HyperT5, Trainer, type T5Model } from "../models/index.js";
import type { HypermodelName, PeftShape, TrainingSpec } from "../../profiles/schema.js";
import { fullFineTuning, hypermodelLearner, mtfOutputsFile, randomSharedModule, sharedPeft, type Learner } from "./learners.js";
import { buildModelExample, conditioningFor, inputStyle, TrainingMixture, type ModelExample } from "./multitask-data.js";
import type { EvalDataset, MtfMethod, TrainingSummary } from "./results.js";
import { microBatchRanges, runTrainingLoop } from "./training-loop.js";

/** Hyperpretraining output: `checkpoint-<step>/` HyperT5 folders and this file naming the final step. */
export const hyperpretrainOutputsFile = "hyperpretrain.json";

export function hyperpretrainCheckpointFolder(step: number): string {
  return `checkpoint-${step}`;
}

export interface MtfRunOptions {
  dataset: EvalDataset;
  method: MtfMethod;
  collection: TokenizedCollection;
  downstream: T5Model;
  /** Output folder of the hyperpretraining stage, for hypermodel methods hyperpretrained for at least one step. */
  hyperpretrainFolder?: string;
  /** Hyperpretraining checkpoint to start from: 0 means none, undefined the final one. */
  hyperpretrainCheckpoint?: number;
  training: TrainingSpec;
  fewShotCount: number;
  lengths: SequenceLengths;
  special: SpecialIds;
  peftShape: PeftShape;
  seed: number;
}

function hypermodelKind(method: MtfMethod): HypermodelName {
  return method.startsWith("hyper-prefix") ? "hyper-prefix" : "hyper-lora";
}

/** Loads the hypermodel an MTF run starts from: a hyperpretraining checkpoint, or a fresh one for 0 steps. */
function initialHypermodel(options: MtfRunOptions): HyperT5 {
  const kind = hypermodelKind(options.method) === "hyper-prefix" ? "prefix" : "lora";
  if (options.hyperpretrainCheckpoint === 0) {
    return HyperT5.fromDownstream(options.downstream, {
      kind,
      prefixLength: options.peftShape.prefixLength,
      loraRank: options.peftShape.loraRank,
      seed: options.seed,
    });
  }
  if (options.hyperpretrainFolder === undefined) throw new Error(`${options.method} needs a hyperpretraining output to start from.`);
  const recorded = JSON.parse(fs.readFileSync(path.join(options.hyperpretrainFolder, hyperpretrainOutputsFile), "utf8")) as { finalStep: number };
  const step = options.hyperpretrainCheckpoint ?? recorded.finalStep;
  const folder = path.join(options.hyperpretrainFolder, hyperpretrainCheckpointFolder(step));
  if (!fs.existsSync(folder)) throw new Error(`Hyperpretraining kept no checkpoint at step ${step} (${folder} does not exist).`);
  return HyperT5.load(folder, options.seed);
}

function createLearner(options: MtfRunOptions): Learner {
  const { method, downstream } = options;
  if (method === "t5-mtf" || method === "t5-mtf-few-shot") return fullFineTuning(downstream, method);
  if (method === "t5-mtf-prefix" || method === "t5-mtf-lora") {
    return sharedPeft(downstream, randomSharedModule(downstream, method, options.peftShape, options.seed), method);
  }
  return hypermodelLearner(downstream, initialHypermodel(options), method, method.endsWith("-plus"));
}

/** Training examples of one optimizer step, a function of the step alone. */
export function mtfBatch(options: MtfRunOptions, mixture: TrainingMixture, step: number): ModelExample[] {
  const random = seededRandom(options.seed, "mtf", step);
  const style = inputStyle(options.method, options.dataset);
  // A new few-shot draw for every step, so the hypermodel reads varied example sets for the same target.
  const conditioning = conditioningFor(options.dataset, options.fewShotCount, (options.seed * 1_000_003 + step) >>> 0);
  return Array.from({ length: options.training.batchSize }, () => {
    const ref = mixture.sample(random);
    return buildModelExample(ref.task, { split: "train", index: ref.index }, style, conditioning, options.special, options.lengths);
  });
}

/** Runs (or resumes) one multi-task fine-tuning run and writes its trained parts into `context.outputDir`. */
export async function runMultitaskFineTuning(context: StageContext, options: MtfRunOptions): Promise<TrainingSummary & { trainingTasks: number }> {
  const started = Date.now();
  const taskNames = options.collection.taskNames("train");
  const mixture = new TrainingMixture(taskNames.map((name) => options.collection.task(name)));
  const learner = createLearner(options);
  const { training } = options;
  const trainer = new Trainer(learner.variables, { learningRate: training.learningRate, totalSteps: training.steps });
  let countedFlops = 0;
  let countedSteps = 0;
  try {
    const result = await runTrainingLoop({
      context,
      phase: "mtf",
      trainer,
      dropout: { models: learner.dropoutModels, seed: options.seed },
      steps: training.steps,
      checkpointEvery: Math.max(1, Math.ceil(training.steps / 4)),
      examplesPerStep: training.batchSize,
      microBatches: (step) => {
        countedSteps += 1;
        const examples = mtfBatch(options, mixture, step);
        return microBatchRanges(training.batchSize, training.microBatchSize).map(([start, end]) => {
          const slice = examples.slice(start, end);
          countedFlops += learner.flops(slice);
          return (): tf.Scalar => learner.loss(slice);
        });
      },
    });
    const outputs = await learner.save(context.outputDir);
    fs.writeFileSync(path.join(context.outputDir, mtfOutputsFile), JSON.stringify({ ...outputs, dataset: options.dataset }, null, 2) + "\n");
    return {
      kind: "mtf",
      steps: result.steps,
      finalLoss: result.finalLoss,
      estimatedFlops: countedSteps === 0 ? 0 : (countedFlops / countedSteps) * training.steps,
      wallSeconds: (Date.now() - started) / 1000,
      trainingTasks: taskNames.length,
    };
  } finally {
    trainer.dispose();
    learner.dispose();
  }
}
