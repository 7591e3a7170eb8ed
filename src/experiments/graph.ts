/**
 * Resolution of a profile into the task graph: which stages exist, the parameters each one runs with, and which
 * upstream outputs it reads. Each stage receives only the slice of the profile that decides its outputs, so editing
 * one part of a profile leaves the other stages cached.
 */

import { digestJson } from "../engine/canonical.js";
import type { JsonValue, StageDefinition, StageResource } from "../engine/stage.js";
import type { HypermodelName, Profile } from "../../profiles/schema.js";
import type { EvalDataset, MtfMethod, PeftInit, PeftMethod } from "./results.js";

/**
 * Experiment modules each stage kind runs (its import closure within `src/experiments` and `src/metrics`), so a
 * change to one kind's code leaves the other kinds cached. Keep in step with the imports of `stages/<kind>.ts`.
 */
const experimentModules: Record<string, string[]> = {
  pretrain: ["pretraining", "hub-checkpoint", "objectives/*"],
  hyperpretrain: ["hyperpretraining", "learners", "multitask", "multitask-data", "objectives/*"],
  mtf: ["learners", "multitask", "multitask-data"],
  eval: ["evaluation", "learners", "multitask-data", "peft-tensors"],
  peft: ["peft-sweep", "evaluation", "learners", "multitask-data", "peft-tensors"],
};
const sharedExperimentModules = ["batches", "stage-inputs", "training-loop", "results"];
const metricsKinds = new Set(["eval", "peft"]);

/** Source globs of an experiment stage kind: its stage module, experiment modules, the models and the datasets. */
function experimentCode(kind: string): string[] {
  const modules = [...(experimentModules[kind] ?? []), ...sharedExperimentModules].map((name) => `src/experiments/${name}.ts`);
  return [`stages/${kind}.ts`, ...modules, ...(metricsKinds.has(kind) ? ["src/metrics/**/*.ts"] : []), "src/models/**/*.ts", "datasets/**/*.ts"];
}

const datasetCode = (kind: string): string[] => [`stages/${kind}.ts`, "datasets/**/*.ts"];
const reportCode = ["stages/report.ts", "src/report/**/*.ts", "src/experiments/results.ts"];

type CollectionKey = keyof Profile["data"]["collections"];

/** Collection that an evaluation dataset reads; both S-NI settings share one. */
export function collectionOf(dataset: EvalDataset): CollectionKey {
  return dataset.startsWith("sni/") ? "sni" : (dataset as Exclude<EvalDataset, "sni/def" | "sni/def-2pos">);
}

/** Name of the tokenized collection behind a collection key; the profile must name it. */
export function collectionName(profile: Profile, key: CollectionKey): string {
  const name = profile.data.collections[key];
  if (name === undefined) throw new ProfileError(profile.name, `data/collections/${key}`, "is needed by a run but missing");
  return name;
}

/** Hypermodel that an MTF method starts from, if any. */
export function hypermodelOf(method: MtfMethod): HypermodelName | undefined {
  if (method === "hyper-prefix" || method === "hyper-prefix-plus") return "hyper-prefix";
  if (method === "hyper-lora" || method === "hyper-lora-plus") return "hyper-lora";
  return undefined;
}

/** Stage ids, in one place so that the resolver and the stages agree. */
export const stageIds = {
  download: (name: string) => `download/${name}`,
  /** The one tokenize stage: the tokenizer, the corpus and every collection in one tokenized folder. */
  tokenized: "tokenize/all",
  pretrain: "pretrain",
  hyperpretrain: (hypermodel: HypermodelName, prefixOnly = false) => `hyperpretrain/${hypermodel}${prefixOnly ? "/prefix-only" : ""}`,
  mtf: (dataset: string, method: string, variant?: string) => `mtf/${dataset}/${method}${variant === undefined ? "" : `/${variant}`}`,
  evaluation: (dataset: string, method: string, variant?: string) => `eval/${dataset}/${method}${variant === undefined ? "" : `/${variant}`}`,
  peft: (task: string, method: PeftMethod, init: PeftInit, learningRate: number, seed: number) => `peft/${task}/${method}/${init}/${learningRate}/${seed}`,
  report: "report",
};

/** Variant suffix of MTF and eval ids for a hypermodel hyperpretrained for `steps` steps (the figure of score against steps). */
export const stepsVariant = (steps: number): string => `hyperpretrain-${steps}`;
export const prefixOnlyVariant = "prefix-only";

/** Thrown when a profile passes the schema but describes an impossible graph. */
export class ProfileError extends Error {
  constructor(profileName: string, field: string, message: string) {
    super(`profile "${profileName}": ${field}: ${message}`);
    this.name = "ProfileError";
  }
}

interface Builder {
  stages: StageDefinition[];
  add(stage: Omit<StageDefinition, "resource"> & { resource?: StageResource }): void;
  has(id: string): boolean;
}

function createBuilder(resource: StageResource): Builder {
  const stages: StageDefinition[] = [];
  const ids = new Set<string>();
  return {
    stages,
    add(stage) {
      if (ids.has(stage.id)) throw new Error(`Internal error: stage id ${stage.id} resolved twice.`);
      ids.add(stage.id);
      stages.push({ ...stage, resource: stage.resource ?? resource });
    },
    has: (id) => ids.has(id),
  };
}

function json(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function jsonObject(value: object): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(value)) as { [key: string]: JsonValue };
}

/** Resolves `profile` into stage definitions in dependency order, ending with `report`. */
export function resolveStages(profile: Profile): StageDefinition[] {
  validateProfileSemantics(profile);
  const graph = createBuilder(profile.resource);
  const modelSpec = json(profile.model);
  const peftShape = json(profile.peftShape);
  const dataInputs = [stageIds.tokenized];

  // Data: every download, then one tokenize stage over all of them.
  const downloads = Object.keys(profile.data.downloads).sort();
  for (const name of downloads) {
    graph.add({ id: stageIds.download(name), kind: "download", params: jsonObject(profile.data.downloads[name]!), upstream: [], code: datasetCode("download"), resource: "cpu" });
  }
  graph.add({
    id: stageIds.tokenized,
    kind: "tokenize",
    params: jsonObject(profile.data.tokenizer),
    upstream: downloads.map((name) => stageIds.download(name)),
    code: datasetCode("tokenize"),
    resource: "cpu",
  });

  // The frozen downstream model.
  graph.add({
    id: stageIds.pretrain,
    kind: "pretrain",
    params: { model: modelSpec, pretrain: json(profile.pretrain ?? null), seed: profile.seed },
    upstream: dataInputs,
    code: experimentCode("pretrain"),
  });

  addHyperpretraining(profile, graph, peftShape);
  addMultiTaskRuns(profile, graph, peftShape, dataInputs);
  addPeftSweep(profile, graph, peftShape, dataInputs);

  const reported = graph.stages.filter((stage) => ["eval", "peft", "hyperpretrain"].includes(stage.kind)).map((stage) => stage.id);
  // The digest of the profile actually resolved (which may be a file outside profiles/) is recorded in the report.
  const profileDigest = digestJson(json(profile));
  graph.add({ id: stageIds.report, kind: "report", params: { profile: profile.name, profileDigest }, upstream: reported, code: reportCode, resource: "cpu" });
  return graph.stages;
}

function addHyperpretraining(profile: Profile, graph: Builder, peftShape: JsonValue): void {
  const spec = profile.hyperpretrain;
  const variants: [HypermodelName, boolean][] = [
    ...spec.hypermodels.map((hypermodel): [HypermodelName, boolean] => [hypermodel, false]),
    ...spec.prefixOnly.map((hypermodel): [HypermodelName, boolean] => [hypermodel, true]),
  ];
  for (const [hypermodel, prefixOnly] of variants) {
    graph.add({
      id: stageIds.hyperpretrain(hypermodel, prefixOnly),
      kind: "hyperpretrain",
      params: {
        hypermodel,
        variant: prefixOnly ? "prefix-only" : "prefix-and-suffix",
        training: json(spec.training),
        windowLength: spec.windowLength,
        downstreamInputLength: spec.downstreamInputLength,
        targetLength: spec.targetLength,
        maxHyperInputLength: profile.mtf.maxHyperInputLength,
        checkpointSteps: json(checkpointStepsNeeded(profile)),
        peftShape,
        seed: profile.seed,
      },
      upstream: [stageIds.pretrain, stageIds.tokenized],
      code: experimentCode("hyperpretrain"),
    });
  }
}


function checkpointStepsNeeded(profile: Profile): number[] {
  const steps = new Set(profile.hyperpretrain.checkpointSteps);
  for (const step of profile.mtf.hyperpretrainStepsSweep) if (step > 0) steps.add(step);
  steps.add(profile.hyperpretrain.training.steps);
  return [...steps].sort((a, b) => a - b);
}

interface MtfVariant {
  dataset: EvalDataset;
  method: MtfMethod;
  variant?: string;
  hyperpretrainStage?: string;
  hyperpretrainCheckpoint?: number;
}

function mtfVariants(profile: Profile): MtfVariant[] {
  const variants: MtfVariant[] = [];
  for (const run of profile.mtf.runs) {
    for (const method of run.methods) {
      const hypermodel = hypermodelOf(method);
      variants.push({ dataset: run.dataset, method, ...(hypermodel ? { hyperpretrainStage: stageIds.hyperpretrain(hypermodel) } : {}) });
    }
  }
  for (const steps of profile.mtf.hyperpretrainStepsSweep) {
    for (const hypermodel of profile.hyperpretrain.hypermodels) {
      variants.push({
        dataset: "p3",
        method: hypermodel,
        variant: stepsVariant(steps),
        ...(steps > 0 ? { hyperpretrainStage: stageIds.hyperpretrain(hypermodel) } : {}),
        hyperpretrainCheckpoint: steps,
      });
    }
  }
  for (const dataset of profile.mtf.prefixOnlyDatasets) {
    for (const hypermodel of profile.hyperpretrain.prefixOnly) {
      variants.push({ dataset, method: hypermodel, variant: prefixOnlyVariant, hyperpretrainStage: stageIds.hyperpretrain(hypermodel, true) });
    }
  }
  return variants;
}

/** Returns the hyperpretraining objective behind a run's hypermodel, or null when it was not hyperpretrained. */
function hyperpretrainVariantOf(run: MtfVariant): "prefix-only" | "prefix-and-suffix" | null {
  if (run.variant === prefixOnlyVariant) return "prefix-only";
  if (run.hyperpretrainStage !== undefined) return "prefix-and-suffix";
  return null;
}

/** Returns the hyperpretraining steps behind a run's hypermodel: its starting checkpoint, or the full run. */
function hyperpretrainStepsOf(run: MtfVariant, profile: Profile): number | null {
  if (run.hyperpretrainCheckpoint !== undefined) return run.hyperpretrainCheckpoint;
  if (run.hyperpretrainStage !== undefined) return profile.hyperpretrain.training.steps;
  return null;
}

function addMultiTaskRuns(profile: Profile, graph: Builder, peftShape: JsonValue, dataInputs: string[]): void {
  for (const run of mtfVariants(profile)) {
    const mtfId = stageIds.mtf(run.dataset, run.method, run.variant);
    const upstream = [stageIds.pretrain, ...dataInputs, ...(run.hyperpretrainStage ? [run.hyperpretrainStage] : [])];
    graph.add({
      id: mtfId,
      kind: "mtf",
      params: {
        dataset: run.dataset,
        method: run.method,
        collection: collectionName(profile, collectionOf(run.dataset)),
        training: json(profile.mtf.training),
        maxInputLength: profile.mtf.maxInputLength,
        maxHyperInputLength: profile.mtf.maxHyperInputLength,
        maxTargetLength: profile.mtf.maxTargetLength,
        fewShotCount: profile.mtf.fewShotCount,
        hyperpretrainStage: run.hyperpretrainStage ?? null,
        hyperpretrainCheckpoint: run.hyperpretrainCheckpoint ?? null,
        peftShape,
        seed: profile.seed,
      },
      upstream,
      code: experimentCode("mtf"),
    });
    graph.add({
      id: stageIds.evaluation(run.dataset, run.method, run.variant),
      kind: "eval",
      params: {
        dataset: run.dataset,
        method: run.method,
        collection: collectionName(profile, collectionOf(run.dataset)),
        mtfStage: mtfId,
        eval: json(profile.eval),
        maxInputLength: profile.mtf.maxInputLength,
        maxHyperInputLength: profile.mtf.maxHyperInputLength,
        hyperpretrainSteps: hyperpretrainStepsOf(run, profile),
        hyperpretrainVariant: hyperpretrainVariantOf(run),
        peftShape,
      },
      upstream: [mtfId, stageIds.pretrain, ...dataInputs],
      code: experimentCode("eval"),
    });
  }
}

/**
 * Returns the MTF stage whose parameters initialize `method` with `init`, or undefined for a random init. HyperT5-Prefix
 * serves both prefix methods: its heads have the architecture of the Prefix-MLP reparameterization, so reusing them
 * with its decoder outputs as the embeddings is the HyperT5-Prefix-MLP initialization (HyperTuning, appendix E).
 */
export function initSourceStage(method: PeftMethod, init: PeftInit): string | undefined {
  if (init === "random") return undefined;
  if (init === "shared") return stageIds.mtf("p3", method === "lora" ? "t5-mtf-lora" : "t5-mtf-prefix");
  return stageIds.mtf("p3", method === "lora" ? "hyper-lora" : "hyper-prefix");
}

function addPeftSweep(profile: Profile, graph: Builder, peftShape: JsonValue, dataInputs: string[]): void {
  const spec = profile.peft;
  for (const task of spec.tasks) {
    for (const method of spec.methods) {
      for (const init of spec.inits) {
        const source = initSourceStage(method, init);
        for (const learningRate of spec.learningRates) {
          for (const seed of spec.seeds) {
            graph.add({
              id: stageIds.peft(task, method, init, learningRate, seed),
              kind: "peft",
              params: {
                task,
                collection: collectionName(profile, "p3"),
                method,
                init,
                learningRate,
                seed,
                initStage: source ?? null,
                steps: spec.steps,
                batchSize: spec.batchSize,
                evaluateEvery: spec.evaluateEvery,
                hyperInitExamples: spec.hyperInitExamples,
                maxTestExamples: spec.maxTestExamples,
                maxInputLength: profile.mtf.maxInputLength,
                maxHyperInputLength: profile.mtf.maxHyperInputLength,
                maxTargetLength: profile.mtf.maxTargetLength,
                fewShotSeed: profile.eval.fewShotSeed,
                peftShape,
              },
              upstream: [stageIds.pretrain, ...dataInputs, ...(source ? [source] : [])],
              code: experimentCode("peft"),
            });
          }
        }
      }
    }
  }
}

/** Checks what the JSON schema cannot express; throws a `ProfileError` naming the field. */
export function validateProfileSemantics(profile: Profile): void {
  const fail = (field: string, message: string): never => {
    throw new ProfileError(profile.name, field, message);
  };
  if (profile.model.source === "scratch" && profile.pretrain === undefined) {
    fail("pretrain", "a model trained from scratch needs the pretrain section");
  }
  if (profile.model.source === "scratch" && profile.data.tokenizer.tokenizer !== "unigram") {
    fail("data/tokenizer", "a model trained from scratch needs a unigram tokenizer trained on the corpus");
  }
  if (profile.model.source === "huggingface" && profile.data.tokenizer.tokenizer !== "t5") {
    fail("data/tokenizer", "a Hugging Face T5 checkpoint needs T5's own tokenizer");
  }
  const sources = Object.values(profile.data.downloads).map((download) => download.source);
  if (profile.data.tokenizer.tokenizer === "t5" && !sources.includes("t5-tokenizer")) {
    fail("data/downloads", 'the t5 tokenizer needs a download with source "t5-tokenizer"');
  }
  if (profile.model.source === "scratch" && (profile.model.config.num_layers < 2 || profile.model.config.num_decoder_layers < 2)) {
    // NOTE: with a single layer, the prefix and LoRA heads split a layer axis of size 1. The gradient of that split
    // fails in TensorFlow.js 4.22 ("Argument tensors passed to stack must be a Tensor[]"), and two layers avoid it.
    fail("model/config", "num_layers and num_decoder_layers must be at least 2 for the prefix and LoRA heads to train");
  }
  const trainings: [string, Profile["mtf"]["training"]][] = [
    ["mtf/training", profile.mtf.training],
    ["hyperpretrain/training", profile.hyperpretrain.training],
  ];
  if (profile.pretrain) {
    trainings.push(["pretrain/spanCorruption", profile.pretrain.spanCorruption], ["pretrain/lmAdaptation", profile.pretrain.lmAdaptation]);
  }
  for (const [field, training] of trainings) {
    if (training.batchSize % training.microBatchSize !== 0) {
      fail(`${field}/microBatchSize`, `${training.microBatchSize} does not divide the batch size ${training.batchSize}`);
    }
  }
  profile.mtf.runs.forEach((run, index) => {
    const collection = collectionOf(run.dataset);
    if (profile.data.collections[collection] === undefined) fail(`mtf/runs/${index}/dataset`, `"${run.dataset}" needs data/collections/${collection}`);
    for (const method of run.methods) {
      const hypermodel = hypermodelOf(method);
      if (hypermodel && !profile.hyperpretrain.hypermodels.includes(hypermodel)) {
        fail(`mtf/runs/${index}/methods`, `"${method}" needs "${hypermodel}" in hyperpretrain/hypermodels`);
      }
    }
  });
  const seen = new Set<string>();
  profile.mtf.runs.forEach((run, index) => {
    if (seen.has(run.dataset)) fail(`mtf/runs/${index}/dataset`, `"${run.dataset}" is listed twice`);
    seen.add(run.dataset);
  });
  const hyper = profile.hyperpretrain;
  const window = hyper.windowLength - hyper.downstreamInputLength - hyper.targetLength;
  if (window < 2) fail("hyperpretrain/windowLength", `${hyper.windowLength} leaves no room for segments A and D around B and C`);
  if (hyper.windowLength - hyper.downstreamInputLength - hyper.targetLength + 3 > profile.mtf.maxHyperInputLength) {
    fail("hyperpretrain/windowLength", `segments A and D (${window} tokens) exceed mtf/maxHyperInputLength ${profile.mtf.maxHyperInputLength}`);
  }
  for (const steps of hyper.checkpointSteps) {
    if (steps > hyper.training.steps) fail("hyperpretrain/checkpointSteps", `${steps} is beyond the ${hyper.training.steps} training steps`);
  }
  for (const steps of profile.mtf.hyperpretrainStepsSweep) {
    if (steps > hyper.training.steps) fail("mtf/hyperpretrainStepsSweep", `${steps} is beyond the ${hyper.training.steps} hyperpretraining steps`);
    if (steps === hyper.training.steps) fail("mtf/hyperpretrainStepsSweep", `${steps} is the full hyperpretraining, which the main P3 runs already evaluate`);
  }
  for (const dataset of profile.mtf.prefixOnlyDatasets) {
    if (profile.data.collections[collectionOf(dataset)] === undefined) fail("mtf/prefixOnlyDatasets", `"${dataset}" needs data/collections/${collectionOf(dataset)}`);
  }
  const p3Methods = new Set(profile.mtf.runs.find((run) => run.dataset === "p3")?.methods ?? []);
  for (const method of profile.peft.methods) {
    for (const init of profile.peft.inits) {
      const source = initSourceStage(method, init);
      if (source === undefined) continue;
      const sourceMethod = source.split("/")[2] as MtfMethod;
      if (!p3Methods.has(sourceMethod)) fail("peft/inits", `the ${init} init of ${method} needs "${sourceMethod}" among the P3 methods of mtf/runs`);
    }
  }
}
