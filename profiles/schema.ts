/**
 * A profile: everything that decides what the pipeline builds, from the data sources and model sizes to every
 * training run's hyperparameters. `profiles/<name>.json` files follow `profileSchema`; `stages/index.ts` resolves
 * one into the task graph. The hyperparameter defaults of the Hugging Face profiles follow HyperTuning
 * (Phang et al. 2022, appendix A).
 */

import { p3HubParamsSchema } from "../datasets/hub/p3-hub.js";
import type { T5Config } from "../src/models/config.js";
import type { EvalDataset, MtfMethod, PeftInit, PeftMethod } from "../src/experiments/results.js";

export type HypermodelName = "hyper-prefix" | "hyper-lora";

/** Sizes of the embedded suite that override its size preset (see `datasets/embedded/suite.ts`). */
export interface EmbeddedSizes {
  trainExamples?: number;
  testExamples?: number;
  heldoutTrainExamples?: number;
  maxTrainTasks?: number;
  maxHeldoutTasks?: number;
  corpusDocuments?: number;
  documentCharacters?: number;
}

/** One P3 dataset of a `p3` download (see `datasets/hub/p3.ts`). */
export interface P3DatasetSource {
  name: string;
  role: "train" | "heldout";
  prompts: string[];
  rawFolder?: string;
  trainFile?: string;
  testFile?: string;
  trainFromTest?: number;
}

/**
 * Parameters of one `download/<name>` stage, passed through unchanged: the embedded suite, or a Hugging Face or
 * GitHub source (`stages/download.ts` and `datasets/hub/sources.ts` document each field and its default).
 */
export type DownloadSource =
  | { source: "embedded"; suiteVersion: string; seed: number; sizeProfile?: "default" | "smoke"; sizes?: EmbeddedSizes }
  | { source: "t5-tokenizer"; repo?: string; revision?: string; endpoint?: string }
  | { source: "c4"; repo?: string; revision?: string; shards?: number; shardCount?: number; maxDocuments?: number; endpoint?: string }
  | {
      source: "metaicl";
      configBaseUrl?: string;
      dataBaseUrl: string;
      setting: string;
      testKey?: string;
      trainK?: number;
      trainSeed?: number;
      testK?: number;
      testSeed?: number;
      maxTrainExamples?: number;
      endpoint?: string;
    }
  | { source: "sni"; baseUrl?: string; taskNames: string[]; maxTrainInstances?: number; testInstances?: number; endpoint?: string }
  | {
      source: "p3";
      format: "tfrecord";
      repo?: string;
      revision?: string;
      subsets: { name: string; role: "train" | "heldout"; splits?: { train?: string; test?: string } }[];
      maxTrainExamples?: number;
      maxTestExamples?: number;
      endpoint?: string;
    }
  | {
      source: "p3";
      format?: "templates";
      templatesBaseUrl?: string;
      rawBaseUrl: string;
      datasets: P3DatasetSource[];
      maxTrainExamples?: number;
      maxTestExamples?: number;
      endpoint?: string;
    };

export interface DataSpec {
  /** Download stages by name (`download/<name>`). */
  downloads: Record<string, DownloadSource>;
  /** The tokenizer: a Unigram model trained on the downloaded texts, or T5's own (needs a `t5-tokenizer` download). */
  tokenizer: { tokenizer: "unigram"; vocabSize: number; maxCorpusDocuments?: number } | { tokenizer: "t5"; maxCorpusDocuments?: number };
  /** Name of the tokenized collection behind each evaluation collection, e.g. `embedded/p3` or `p3`. */
  collections: {
    p3: string;
    "metaicl/hr_to_lr"?: string;
    "metaicl/non_nli_to_nli"?: string;
    "metaicl/non_class_to_class"?: string;
    sni?: string;
  };
}

/** Shape of a T5 v1.1 trained from scratch (Hugging Face's config field names). */
export type ScratchModelConfig = Pick<
  T5Config,
  | "d_model"
  | "d_kv"
  | "d_ff"
  | "num_heads"
  | "num_layers"
  | "num_decoder_layers"
  | "relative_attention_num_buckets"
  | "relative_attention_max_distance"
  | "dropout_rate"
>;

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
  data: DataSpec;
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

const hubFields = { endpoint: nonEmptyString };

function sourceSchema(source: string, properties: Record<string, object>, required: string[]): object {
  return strictObject({ source: { const: source }, ...properties }, ["source", ...required]);
}

const embeddedSizeNames = ["trainExamples", "testExamples", "heldoutTrainExamples", "maxTrainTasks", "maxHeldoutTasks", "corpusDocuments", "documentCharacters"];

const downloadSourceSchema = {
  oneOf: [
    sourceSchema(
      "embedded",
      {
        suiteVersion: nonEmptyString,
        seed: nonNegativeInteger,
        sizeProfile: { enum: ["default", "smoke"] },
        sizes: strictObject(Object.fromEntries(embeddedSizeNames.map((key) => [key, nonNegativeInteger])), []),
      },
      ["suiteVersion", "seed"],
    ),
    sourceSchema("t5-tokenizer", { repo: nonEmptyString, revision: nonEmptyString, ...hubFields }, []),
    sourceSchema(
      "c4",
      { repo: nonEmptyString, revision: nonEmptyString, shards: positiveInteger, shardCount: positiveInteger, maxDocuments: positiveInteger, ...hubFields },
      [],
    ),
    sourceSchema(
      "metaicl",
      {
        configBaseUrl: nonEmptyString,
        dataBaseUrl: nonEmptyString,
        setting: nonEmptyString,
        testKey: { enum: ["test", "unseen_domain_test"] },
        trainK: positiveInteger,
        trainSeed: nonNegativeInteger,
        testK: positiveInteger,
        testSeed: nonNegativeInteger,
        maxTrainExamples: positiveInteger,
        ...hubFields,
      },
      ["dataBaseUrl", "setting"],
    ),
    sourceSchema(
      "sni",
      { baseUrl: nonEmptyString, taskNames: { type: "array", items: nonEmptyString }, maxTrainInstances: positiveInteger, testInstances: positiveInteger, ...hubFields },
      ["taskNames"],
    ),
    // P3 from the hub's TFRecord files (`datasets/hub/p3-hub.ts` owns that schema).
    p3HubParamsSchema,
    sourceSchema(
      "p3",
      {
        format: { const: "templates" },
        templatesBaseUrl: nonEmptyString,
        rawBaseUrl: nonEmptyString,
        datasets: {
          type: "array",
          minItems: 1,
          items: strictObject(
            {
              name: nonEmptyString,
              role: { enum: ["train", "heldout"] },
              prompts: { type: "array", items: nonEmptyString },
              rawFolder: nonEmptyString,
              trainFile: nonEmptyString,
              testFile: nonEmptyString,
              trainFromTest: nonNegativeInteger,
            },
            ["name", "role", "prompts"],
          ),
        },
        maxTrainExamples: positiveInteger,
        maxTestExamples: positiveInteger,
        ...hubFields,
      },
      ["rawBaseUrl", "datasets"],
    ),
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
    data: strictObject({
      downloads: {
        type: "object",
        minProperties: 1,
        propertyNames: { pattern: "^[a-z0-9][a-z0-9_-]*(/[a-z0-9_-]+)*$" },
        additionalProperties: downloadSourceSchema,
      },
      tokenizer: {
        oneOf: [
          strictObject({ tokenizer: { const: "unigram" }, vocabSize: { type: "integer", minimum: 256 }, maxCorpusDocuments: positiveInteger }, ["tokenizer", "vocabSize"]),
          strictObject({ tokenizer: { const: "t5" }, maxCorpusDocuments: positiveInteger }, ["tokenizer"]),
        ],
      },
      collections: strictObject(
        {
          p3: nonEmptyString,
          "metaicl/hr_to_lr": nonEmptyString,
          "metaicl/non_nli_to_nli": nonEmptyString,
          "metaicl/non_class_to_class": nonEmptyString,
          sni: nonEmptyString,
        },
        ["p3"],
      ),
    }),
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
  ["name", "description", "resource", "seed", "data", "model", "peftShape", "hyperpretrain", "mtf", "eval", "peft"],
);
