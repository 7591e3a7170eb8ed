/**
 * A profile: everything that decides what the pipeline builds, from the data sources and model sizes to every
 * training run's hyperparameters. `profiles/<name>.json` files follow `profileSchema`; `stages/index.ts` resolves
 * one into the task graph. The hyperparameter defaults of the Hugging Face profiles follow HyperTuning
 * (Phang et al. 2022, appendix A).
 */

import type { EvalDataset, MtfMethod, PeftInit, PeftMethod } from "../src/experiments/results.js";

export type HypermodelName = "hyper-prefix" | "hyper-lora";

/** Where a normalized collection comes from. */
export type CollectionSource =
  | { source: "embedded"; trainExamplesPerTask: number; testExamplesPerTask: number }
  | { source: "hub"; repository: string; revision: string; maxTrainExamplesPerTask: number; maxTestExamplesPerTask: number };

export type CorpusSource =
  | { source: "embedded"; documents: number }
  | { source: "hub"; repository: string; revision: string; files: string[]; documents: number };

export type TokenizerSpec = { kind: "unigram"; vocabSize: number } | { kind: "t5"; repository: string; revision: string };

/** Shape of a T5 v1.1 trained from scratch (Hugging Face's config field names). */
export interface ScratchModelConfig {
  d_model: number;
  d_kv: number;
  d_ff: number;
  num_heads: number;
  num_layers: number;
  num_decoder_layers: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  dropout_rate: number;
}

export type ModelSpec =
  | { source: "scratch"; config: ScratchModelConfig }
  | { source: "huggingface"; repository: string; revision: string };

/** One optimization run: Adam with linear decay to zero; `batchSize` is reached by accumulating micro-batches. */
export interface TrainingSpec {
  steps: number;
  batchSize: number;
  microBatchSize: number;
  learningRate: number;
}

export interface PeftShape {
  /** Soft prefix tokens per attention layer. */
  prefixLength: number;
  loraRank: number;
}

export interface PretrainSpec {
  spanCorruption: TrainingSpec;
  lmAdaptation: TrainingSpec;
  maxInputLength: number;
  maxTargetLength: number;
  checkpointEvery: number;
}

export interface HyperpretrainSpec {
  hypermodels: HypermodelName[];
  /** Hypermodels also hyperpretrained with the prefix-only objective. */
  prefixOnly: HypermodelName[];
  training: TrainingSpec;
  windowLength: number;
  downstreamInputLength: number;
  targetLength: number;
  /** Steps whose checkpoints are kept (the last step always is). */
  checkpointSteps: number[];
}

export interface MtfRun {
  dataset: EvalDataset;
  methods: MtfMethod[];
}

export interface MtfSpec {
  training: TrainingSpec;
  maxInputLength: number;
  maxHyperInputLength: number;
  maxTargetLength: number;
  fewShotCount: number;
  runs: MtfRun[];
  /** Hyperpretraining checkpoints to multi-task fine-tune from on P3, for the score-against-steps figure. */
  hyperpretrainStepsSweep: number[];
  /** Multi-task fine-tune the prefix-only hyperpretrained hypermodels on these datasets. */
  prefixOnlyDatasets: EvalDataset[];
}

export interface EvalSpec {
  fewShotCount: number;
  /** Seed of the few-shot sets; fixed so that every model sees the same examples. */
  fewShotSeed: number;
  maxTestExamplesPerTask: number;
  maxGenerationLength: number;
  batchSize: number;
}

export interface PeftSweepSpec {
  /** Held-out P3 tasks to tune on. */
  tasks: string[];
  methods: PeftMethod[];
  inits: PeftInit[];
  learningRates: number[];
  seeds: number[];
  steps: number;
  batchSize: number;
  evaluateEvery: number;
  /** Training examples the hypermodel reads to generate the hyper initialization (16 in HyperTuning). */
  hyperInitExamples: number;
  maxTestExamples: number;
}

export interface Profile {
  name: string;
  description: string;
  resource: "cpu" | "gpu";
  seed: number;
  tokenizer: TokenizerSpec;
  corpus: CorpusSource;
  collections: {
    p3: CollectionSource;
    "metaicl/hr_to_lr"?: CollectionSource;
    "metaicl/non_nli_to_nli"?: CollectionSource;
    "metaicl/non_class_to_class"?: CollectionSource;
    sni?: CollectionSource;
  };
  model: ModelSpec;
  peftShape: PeftShape;
  pretrain?: PretrainSpec;
  hyperpretrain: HyperpretrainSpec;
  mtf: MtfSpec;
  eval: EvalSpec;
  peft: PeftSweepSpec;
}

const positiveInteger = { type: "integer", minimum: 1 } as const;
const nonNegativeInteger = { type: "integer", minimum: 0 } as const;
const positiveNumber = { type: "number", exclusiveMinimum: 0 } as const;
const nonEmptyString = { type: "string", minLength: 1 } as const;

function strictObject(properties: Record<string, object>, required: string[] = Object.keys(properties)): object {
  return { type: "object", additionalProperties: false, required, properties };
}

const evalDatasets = ["p3", "metaicl/hr_to_lr", "metaicl/non_nli_to_nli", "metaicl/non_class_to_class", "sni/def", "sni/def-2pos"];
const mtfMethodNames = ["t5-mtf", "t5-mtf-few-shot", "t5-mtf-prefix", "t5-mtf-lora", "hyper-prefix", "hyper-lora", "hyper-prefix-plus", "hyper-lora-plus"];
const hypermodelNames = ["hyper-prefix", "hyper-lora"];

const trainingSchema = strictObject({
  steps: positiveInteger,
  batchSize: positiveInteger,
  microBatchSize: positiveInteger,
  learningRate: positiveNumber,
});

const collectionSourceSchema = {
  oneOf: [
    strictObject({ source: { const: "embedded" }, trainExamplesPerTask: positiveInteger, testExamplesPerTask: positiveInteger }),
    strictObject({
      source: { const: "hub" },
      repository: nonEmptyString,
      revision: nonEmptyString,
      maxTrainExamplesPerTask: positiveInteger,
      maxTestExamplesPerTask: positiveInteger,
    }),
  ],
};

/** JSON schema of a profile file; every object rejects unknown keys. */
export const profileSchema = strictObject(
  {
    $schema: { type: "string" },
    name: { type: "string", pattern: "^[a-z0-9][a-z0-9-]*$" },
    description: nonEmptyString,
    resource: { enum: ["cpu", "gpu"] },
    seed: nonNegativeInteger,
    tokenizer: {
      oneOf: [
        strictObject({ kind: { const: "unigram" }, vocabSize: { type: "integer", minimum: 256 } }),
        strictObject({ kind: { const: "t5" }, repository: nonEmptyString, revision: nonEmptyString }),
      ],
    },
    corpus: {
      oneOf: [
        strictObject({ source: { const: "embedded" }, documents: positiveInteger }),
        strictObject({
          source: { const: "hub" },
          repository: nonEmptyString,
          revision: nonEmptyString,
          files: { type: "array", minItems: 1, items: nonEmptyString },
          documents: positiveInteger,
        }),
      ],
    },
    collections: strictObject(
      {
        p3: collectionSourceSchema,
        "metaicl/hr_to_lr": collectionSourceSchema,
        "metaicl/non_nli_to_nli": collectionSourceSchema,
        "metaicl/non_class_to_class": collectionSourceSchema,
        sni: collectionSourceSchema,
      },
      ["p3"],
    ),
    model: {
      oneOf: [
        strictObject({
          source: { const: "scratch" },
          config: strictObject({
            d_model: positiveInteger,
            d_kv: positiveInteger,
            d_ff: positiveInteger,
            num_heads: positiveInteger,
            num_layers: positiveInteger,
            num_decoder_layers: positiveInteger,
            relative_attention_num_buckets: positiveInteger,
            relative_attention_max_distance: positiveInteger,
            dropout_rate: { type: "number", minimum: 0, maximum: 1 },
          }),
        }),
        strictObject({ source: { const: "huggingface" }, repository: nonEmptyString, revision: nonEmptyString }),
      ],
    },
    peftShape: strictObject({ prefixLength: positiveInteger, loraRank: positiveInteger }),
    pretrain: strictObject({
      spanCorruption: trainingSchema,
      lmAdaptation: trainingSchema,
      maxInputLength: { type: "integer", minimum: 4 },
      maxTargetLength: { type: "integer", minimum: 2 },
      checkpointEvery: positiveInteger,
    }),
    hyperpretrain: strictObject({
      hypermodels: { type: "array", uniqueItems: true, items: { enum: hypermodelNames } },
      prefixOnly: { type: "array", uniqueItems: true, items: { enum: hypermodelNames } },
      training: trainingSchema,
      windowLength: { type: "integer", minimum: 4 },
      downstreamInputLength: positiveInteger,
      targetLength: positiveInteger,
      checkpointSteps: { type: "array", uniqueItems: true, items: positiveInteger },
    }),
    mtf: strictObject({
      training: trainingSchema,
      maxInputLength: { type: "integer", minimum: 4 },
      maxHyperInputLength: { type: "integer", minimum: 4 },
      maxTargetLength: { type: "integer", minimum: 2 },
      fewShotCount: positiveInteger,
      runs: {
        type: "array",
        items: strictObject({
          dataset: { enum: evalDatasets },
          methods: { type: "array", minItems: 1, uniqueItems: true, items: { enum: mtfMethodNames } },
        }),
      },
      hyperpretrainStepsSweep: { type: "array", uniqueItems: true, items: nonNegativeInteger },
      prefixOnlyDatasets: { type: "array", uniqueItems: true, items: { enum: evalDatasets } },
    }),
    eval: strictObject({
      fewShotCount: positiveInteger,
      fewShotSeed: nonNegativeInteger,
      maxTestExamplesPerTask: positiveInteger,
      maxGenerationLength: positiveInteger,
      batchSize: positiveInteger,
    }),
    peft: strictObject({
      tasks: { type: "array", uniqueItems: true, items: nonEmptyString },
      methods: { type: "array", uniqueItems: true, items: { enum: ["prefix-flat", "prefix-mlp", "lora"] } },
      inits: { type: "array", uniqueItems: true, items: { enum: ["random", "shared", "hyper"] } },
      learningRates: { type: "array", minItems: 1, uniqueItems: true, items: positiveNumber },
      seeds: { type: "array", minItems: 1, uniqueItems: true, items: nonNegativeInteger },
      steps: positiveInteger,
      batchSize: positiveInteger,
      evaluateEvery: positiveInteger,
      hyperInitExamples: positiveInteger,
      maxTestExamples: positiveInteger,
    }),
  },
  ["name", "description", "resource", "seed", "tokenizer", "corpus", "collections", "model", "peftShape", "hyperpretrain", "mtf", "eval", "peft"],
);
