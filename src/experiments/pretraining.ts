/**
 * Pretraining of the downstream T5 from scratch, as the LM-adapted T5 was made (Lester et al. 2021): span
 * corruption (Raffel et al. 2020), then LM adaptation with the prefix language-modeling objective. Both phases
 * train every parameter with Adam and linear decay.
 */

import type * as tf from "@tensorflow/tfjs";

import { seededRandom, type TokenizerInfo } from "../../datasets/index.js";
import type { StageContext } from "../engine/stage.js";
import { estimateFlops, parseT5Config, T5Model, Trainer, type T5Config } from "../models/index.js";
import type { ScratchModelConfig, TrainingSpec } from "../../profiles/schema.js";
import { seq2seqBatch } from "./batches.js";
import { CorpusWindows, prefixLmSplit, rawLengthForInput, spanCorrupt, type Seq2SeqExample, type SpecialTokenIds } from "./objectives/index.js";
import { microBatchRanges, runTrainingLoop, type TrainingLoopResult } from "./training-loop.js";

/** T5 v1.1 config of a model trained from scratch with the given tokenizer. */
export function scratchConfig(shape: ScratchModelConfig, tokenizer: TokenizerInfo): T5Config {
  return parseT5Config(
    {
      ...shape,
      vocab_size: tokenizer.vocabSize,
      feed_forward_proj: "gated-gelu",
      tie_word_embeddings: false,
      pad_token_id: tokenizer.padId,
      eos_token_id: tokenizer.eosId,
      decoder_start_token_id: tokenizer.decoderStartId,
    },
    "the profile's model/config",
  );
}

export interface PretrainPhase {
  name: "span-corruption" | "lm-adaptation";
  training: TrainingSpec;
  /** Builds one example from `random`, which is seeded by the step, so resumed runs see the same batches. */
  example(random: () => number): Seq2SeqExample;
}

/** Builds the two phases over `windows`, with inputs and targets within the given lengths (EOS included). */
export function pretrainPhases(
  windows: CorpusWindows,
  special: SpecialTokenIds,
  lengths: { maxInputLength: number; maxTargetLength: number },
  spanCorruption: TrainingSpec,
  lmAdaptation: TrainingSpec,
): PretrainPhase[] {
  const rawLength = rawLengthForInput(lengths.maxInputLength);
  const prefixLmLength = lengths.maxInputLength - 1 + lengths.maxTargetLength - 1;
  return [
    {
      name: "span-corruption",
      training: spanCorruption,
      example: (random) => {
        const corrupted = spanCorrupt(windows.sample(rawLength, random), special, random);
        // Targets longer than the budget are cut; the input always fits by construction of rawLength.
        return { input: corrupted.input, target: corrupted.target.slice(0, lengths.maxTargetLength) };
      },
    },
    {
      name: "lm-adaptation",
      training: lmAdaptation,
      example: (random) => prefixLmSplit(windows.sample(prefixLmLength, random), special, lengths.maxInputLength, lengths.maxTargetLength, random),
    },
  ];
}

export interface PhaseResult extends TrainingLoopResult {
  estimatedFlops: number;
}

/** Trains every parameter of `model` through one phase, resuming from the stage's work folder. */
export async function runPretrainPhase(context: StageContext, model: T5Model, phase: PretrainPhase, seed: number, checkpointEvery: number): Promise<PhaseResult> {
  const { training } = phase;
  const trainer = new Trainer(model.params, { learningRate: training.learningRate, totalSteps: training.steps });
  let countedFlops = 0;
  let countedSteps = 0;
  try {
    const result = await runTrainingLoop({
      context,
      phase: phase.name,
      trainer,
      dropout: { models: [model], seed },
      steps: training.steps,
      checkpointEvery,
      examplesPerStep: training.batchSize,
      microBatches: (step) => {
        countedSteps += 1;
        const random = seededRandom(seed, phase.name, step);
        const examples = Array.from({ length: training.batchSize }, () => phase.example(random));
        return microBatchRanges(training.batchSize, training.microBatchSize).map(([start, end]) => {
          const slice = examples.slice(start, end);
          countedFlops += estimateFlops(model.config, {
            batch: slice.length,
            inputLength: Math.max(...slice.map((example) => example.input.length)),
            targetLength: Math.max(...slice.map((example) => example.target.length)),
            model: "t5",
            mode: "train-all",
          });
          return (): tf.Scalar => {
            const batch = seq2seqBatch(slice.map((example) => example.input), slice.map((example) => example.target), model.config.pad_token_id);
            return model.loss(batch, { training: true });
          };
        });
      },
    });
    // Steps run before a resume were not measured here; they cost what the measured steps cost on average.
    const estimatedFlops = countedSteps === 0 ? 0 : (countedFlops / countedSteps) * training.steps;
    return { ...result, estimatedFlops };
  } finally {
    trainer.dispose();
  }
}
