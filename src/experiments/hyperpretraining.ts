/**
 * Hyperpretraining (HyperTuning, Phang et al. 2022, section 4.2): the hypermodel learns to generate PEFT
 * parameters that help the frozen downstream T5 continue a text, from context the T5 does not see. Checkpoints are
 * kept at the profile's steps for the score-against-hyperpretraining-steps figure.
 */

import fs from "node:fs";
import path from "node:path";

import type * as tf from "@tensorflow/tfjs";

import { seededRandom } from "../../datasets/index.js";
import type { StageContext } from "../engine/stage.js";
import { HyperT5, Trainer, type T5Model } from "../models/index.js";
import type { HypermodelName, PeftShape, TrainingSpec } from "../../profiles/schema.js";
import { hypermodelLearner } from "./learners.js";
import { hyperpretrainCheckpointFolder, hyperpretrainOutputsFile } from "./multitask.js";
import { contextAugmentedExample, validateContextAugmentedOptions, type ContextAugmentedOptions, type CorpusWindows, type SpecialTokenIds } from "./objectives/index.js";
import type { ModelExample } from "./multitask-data.js";
import type { HyperpretrainSummary } from "./results.js";
import { microBatchRanges, runTrainingLoop } from "./training-loop.js";

export interface HyperpretrainOptions {
  hypermodel: HypermodelName;
  objective: ContextAugmentedOptions;
  training: TrainingSpec;
  checkpointSteps: number[];
  peftShape: PeftShape;
  seed: number;
}

/** Builds the examples of one step: windows cut into A B C D, as model inputs (hypermodel input, B, C). */
export function hyperpretrainBatch(windows: CorpusWindows, special: SpecialTokenIds, options: HyperpretrainOptions, step: number): ModelExample[] {
  const random = seededRandom(options.seed, "hyperpretrain", options.objective.variant, step);
  return Array.from({ length: options.training.batchSize }, () => {
    const example = contextAugmentedExample(windows.sample(options.objective.windowLength, random), special, options.objective, random);
    return { hyperInput: example.hyperInput, input: example.input, target: example.target };
  });
}

/** Runs (or resumes) hyperpretraining and publishes the kept checkpoints as `checkpoint-<step>/` HyperT5 folders. */
export async function runHyperpretraining(
  context: StageContext,
  downstream: T5Model,
  windows: CorpusWindows,
  special: SpecialTokenIds,
  options: HyperpretrainOptions,
): Promise<HyperpretrainSummary & { estimatedFlops: number; wallSeconds: number }> {
  const started = Date.now();
  validateContextAugmentedOptions(options.objective);
  const hypermodel = HyperT5.fromDownstream(downstream, {
    kind: options.hypermodel === "hyper-prefix" ? "prefix" : "lora",
    prefixLength: options.peftShape.prefixLength,
    loraRank: options.peftShape.loraRank,
    seed: options.seed,
  });
  const learner = hypermodelLearner(downstream, hypermodel, options.hypermodel, false);
  const { training } = options;
  const trainer = new Trainer(learner.variables, { learningRate: training.learningRate, totalSteps: training.steps });
  // Kept checkpoints go to the work folder first: a resumed run starts with an empty output folder.
  const kept = path.join(context.workDir, "kept");
  const keptSteps = new Set(options.checkpointSteps.filter((step) => step <= training.steps));
  keptSteps.add(training.steps);
  let countedFlops = 0;
  let countedSteps = 0;
  try {
    const result = await runTrainingLoop({
      context,
      phase: `hyperpretrain-${options.objective.variant}`,
      trainer,
      dropout: { models: learner.dropoutModels, seed: options.seed },
      steps: training.steps,
      checkpointEvery: Math.max(1, Math.ceil(training.steps / 4)),
      examplesPerStep: training.batchSize,
      microBatches: (step) => {
        countedSteps += 1;
        const examples = hyperpretrainBatch(windows, special, options, step);
        return microBatchRanges(training.batchSize, training.microBatchSize).map(([start, end]) => {
          const slice = examples.slice(start, end);
          countedFlops += learner.flops(slice);
          return (): tf.Scalar => learner.loss(slice);
        });
      },
      afterStep: async (step) => {
        if (keptSteps.has(step)) await hypermodel.save(path.join(kept, hyperpretrainCheckpointFolder(step)));
      },
    });
    const checkpointSteps = [...keptSteps].sort((a, b) => a - b);
    for (const step of checkpointSteps) {
      const folder = hyperpretrainCheckpointFolder(step);
      fs.cpSync(path.join(kept, folder), path.join(context.outputDir, folder), { recursive: true });
    }
    fs.writeFileSync(path.join(context.outputDir, hyperpretrainOutputsFile), JSON.stringify({ finalStep: training.steps, checkpointSteps }, null, 2) + "\n");
    return {
      kind: "hyperpretrain",
      hypermodel: options.hypermodel,
      variant: options.objective.variant,
      steps: result.steps,
      finalLoss: result.finalLoss,
      checkpointSteps,
      estimatedFlops: countedSteps === 0 ? 0 : (countedFlops / countedSteps) * training.steps,
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    trainer.dispose();
    learner.dispose();
  }
}
