/**
 * Single-task parameter-efficient tuning from three initializations (HyperTuning, Phang et al. 2022, section 6
 * and appendix E). Random starts from scratch. Shared starts from the PEFT parameters of the multi-task PEFT
 * baseline. Hyper starts from the parameters the MTF-trained hypermodel generates from a few training examples of
 * the task. Prefix-Flat tunes the prefixes themselves, Prefix-MLP tunes embeddings and the MLP that maps them to
 * prefixes, and LoRA tunes low-rank updates.
 */

import fs from "node:fs";
import path from "node:path";

import * as tf from "@tensorflow/tfjs";

import { downstreamInputIds, formatFewShotIds, sampleIndices, seededRandom, targetIds, type SequenceLengths, type SpecialIds, type TokenizedTask } from "../../datasets/index.js";
import type { StageContext } from "../engine/stage.js";
import { estimateFlops, HyperT5, Lora, PrefixFlat, PrefixMlp, Trainer, type PeftParameters, type T5Model, type TunableModule } from "../models/index.js";
import type { PeftShape } from "../../profiles/schema.js";
import { seq2seqBatch } from "./batches.js";
import { rankClassificationAccuracy } from "./evaluation.js";
import { disposePeft, keepPeft } from "./peft-tensors.js";
import { mtfOutputsFile, type MtfOutputs } from "./learners.js";
import type { PeftInit, PeftMethod, PeftSummary } from "./results.js";
import { runTrainingLoop } from "./training-loop.js";

export interface PeftRunOptions {
  task: TokenizedTask;
  method: PeftMethod;
  init: PeftInit;
  learningRate: number;
  seed: number;
  downstream: T5Model;
  /** Output folder of the MTF stage the shared or hyper initialization comes from. */
  initFolder?: string;
  steps: number;
  batchSize: number;
  evaluateEvery: number;
  hyperInitExamples: number;
  maxTestExamples: number;
  lengths: SequenceLengths;
  special: SpecialIds;
  peftShape: PeftShape;
}

function readMtfOutputs(folder: string): MtfOutputs {
  return JSON.parse(fs.readFileSync(path.join(folder, mtfOutputsFile), "utf8")) as MtfOutputs;
}

/** Builds the hypermodel's few-shot input: `hyperInitExamples` training examples of the task, drawn with the run's seed. */
export function hyperInitInput(options: PeftRunOptions): number[] {
  const random = seededRandom(options.seed, "hyper-init", options.task.name);
  const pairs = sampleIndices(random, options.task.train.length, options.hyperInitExamples).map((index) => options.task.train[index]!);
  return [...formatFewShotIds(pairs, options.special, options.lengths.hypermodelInput - 1), options.special.eosId];
}

/** Builds the PEFT module of `method` with initialization `init`. */
export async function initialModule(options: PeftRunOptions): Promise<TunableModule> {
  const config = options.downstream.config;
  const { method, init, seed } = options;
  if (init === "random") {
    if (method === "prefix-flat") return PrefixFlat.random(config, options.peftShape.prefixLength, seed);
    if (method === "prefix-mlp") return PrefixMlp.random(config, options.peftShape.prefixLength, seed);
    return Lora.random(config, options.peftShape.loraRank, seed);
  }
  const folder = options.initFolder;
  if (folder === undefined) throw new Error(`The ${init} initialization of ${method} needs the output of an MTF stage.`);
  const outputs = readMtfOutputs(folder);
  if (init === "shared") {
    if (outputs.adapter === undefined) throw new Error(`${folder} contains no shared PEFT module (method ${outputs.method}).`);
    const file = path.join(folder, outputs.adapter);
    if (method === "lora") return Lora.load(config, file);
    const mlp = PrefixMlp.load(config, file);
    if (method === "prefix-mlp") return mlp;
    // Prefix-Flat (Shared): one pass through the reparameterization gives the flat prefixes (appendix E).
    const parameters = keepPeft(() => mlp.parameters());
    try {
      return await PrefixFlat.fromParameters(config, parameters);
    } finally {
      tf.dispose(Object.values(parameters.tensors));
      mlp.dispose();
    }
  }
  if (outputs.hypermodel === undefined) throw new Error(`${folder} contains no hypermodel (method ${outputs.method}).`);
  const hypermodel = HyperT5.load(path.join(folder, outputs.hypermodel));
  const fewShot = hyperInitInput(options);
  try {
    if (method === "prefix-mlp") {
      const tensors = hypermodel.prefixMlpInitialization(fewShot);
      try {
        return await PrefixMlp.fromTensors(config, tensors);
      } finally {
        tf.dispose([...tensors.values()]);
      }
    }
    const parameters = keepPeft(() => hypermodel.generateOne(fewShot));
    try {
      return method === "lora" ? await Lora.fromParameters(config, parameters) : await PrefixFlat.fromParameters(config, parameters);
    } finally {
      tf.dispose(Object.values(parameters.tensors));
    }
  } finally {
    hypermodel.dispose();
  }
}

function score(options: PeftRunOptions, module: TunableModule): number {
  const count = Math.min(options.task.test.length, options.maxTestExamples);
  if (count === 0) throw new Error(`Task ${options.task.name} has no test example to score.`);
  const parameters = keepPeft(() => module.parameters());
  try {
    return rankClassificationAccuracy(options.downstream, parameters, options.task, count, options.special, options.lengths, 32);
  } finally {
    disposePeft(parameters, module);
  }
}

/** Runs (or resumes) one PEFT run, scoring at step 0, every `evaluateEvery` steps and at the end. */
export async function runPeft(context: StageContext, options: PeftRunOptions): Promise<PeftSummary & { wallSeconds: number; estimatedFlops: number }> {
  const started = Date.now();
  const { task } = options;
  if (task.train.length === 0) throw new Error(`Task ${task.name} has no training examples to tune on.`);
  const module = await initialModule(options);
  const trainer = new Trainer(module.variables, { learningRate: options.learningRate, totalSteps: options.steps });
  const curveFile = path.join(context.workDir, "curve.json");
  const curve: { step: number; score: number }[] = fs.existsSync(curveFile) ? (JSON.parse(fs.readFileSync(curveFile, "utf8")) as { step: number; score: number }[]) : [];
  const record = (step: number): void => {
    if (curve.some((point) => point.step === step)) return;
    curve.push({ step, score: score(options, module) });
    fs.writeFileSync(curveFile, JSON.stringify(curve));
    context.emit({ type: "metric", name: "accuracy", value: curve.at(-1)!.score, step });
  };
  let flopsPerStep = 0;
  try {
    if (!fs.existsSync(path.join(context.workDir, "checkpoint-peft"))) record(0);
    await runTrainingLoop({
      context,
      phase: "peft",
      trainer,
      steps: options.steps,
      checkpointEvery: options.evaluateEvery,
      examplesPerStep: options.batchSize,
      microBatches: (step) => {
        const random = seededRandom(options.seed, "peft", task.name, step);
        const picked = Array.from({ length: options.batchSize }, () => task.train[Math.floor(random() * task.train.length)]!);
        const inputs = picked.map((example) => downstreamInputIds(example, options.special, options.lengths));
        const targets = picked.map((example) => targetIds(example, options.special, options.lengths));
        flopsPerStep =
          (2 / 3) *
          estimateFlops(options.downstream.config, {
            batch: picked.length,
            inputLength: Math.max(...inputs.map((row) => row.length)),
            targetLength: Math.max(...targets.map((row) => row.length)),
            model: "t5",
            mode: "train-all",
          });
        return [() => options.downstream.loss(seq2seqBatch(inputs, targets, options.downstream.config.pad_token_id), { peft: module.parameters() })];
      },
      afterStep: async (step) => {
        if (step % options.evaluateEvery === 0 || step === options.steps) record(step);
      },
    });
    record(options.steps);
    curve.sort((a, b) => a.step - b.step);
    await module.save(path.join(context.outputDir, module.kind === "lora" ? "adapter" : "adapter.safetensors"));
    fs.writeFileSync(path.join(context.outputDir, "curve.json"), JSON.stringify(curve, null, 2) + "\n");
    return {
      kind: "peft",
      task: task.name,
      method: options.method,
      init: options.init,
      learningRate: options.learningRate,
      seed: options.seed,
      final: curve.at(-1)!.score,
      curve,
      wallSeconds: (Date.now() - started) / 1000,
      estimatedFlops: flopsPerStep * options.steps,
    };
  } finally {
    trainer.dispose();
    module.dispose();
  }
}
