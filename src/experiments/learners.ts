/**
 * The trained parts of each multi-task method, behind one interface. T5-MTF and T5-MTF-Few-shot train the whole T5.
 * T5-MTF (Prefix) and T5-MTF (LoRA) train a Prefix-MLP or LoRA module on the frozen T5. HyperT5-Prefix and
 * HyperT5-LoRA train a hypermodel that generates per-example PEFT parameters for the frozen T5, and their "+"
 * variants train the hypermodel and the T5 together.
 */

import fs from "node:fs";
import path from "node:path";

import type * as tf from "@tensorflow/tfjs";

import { estimateFlops, HyperT5, loadAdapter, loadT5, Lora, PrefixMlp, saveT5, type PeftParameters, type T5Model, type TunableModule } from "../models/index.js";
import { paddedIds, seq2seqBatch } from "./batches.js";
import type { ModelExample } from "./multitask-data.js";
import type { MtfMethod } from "./results.js";

/** Files an MTF stage publishes, relative to its output folder, recorded in `mtf.json`. */
export interface MtfOutputs {
  method: MtfMethod;
  /** A full T5 checkpoint folder when the method trains the T5. */
  model?: string;
  /** A PEFT module (Prefix-MLP file or LoRA folder) shared by every task. */
  adapter?: string;
  /** A HyperT5 folder. */
  hypermodel?: string;
}

export const mtfOutputsFile = "mtf.json";

export interface Learner {
  /** The downstream T5 (trained or frozen). */
  readonly downstream: T5Model;
  /** Every trained variable by unique name. */
  readonly variables: Map<string, tf.Variable>;
  /** Every model that runs in training mode (and so applies dropout) in `loss`. */
  readonly dropoutModels: T5Model[];
  /** Mean loss of a micro-batch; call inside a gradient function. */
  loss(examples: ModelExample[]): tf.Scalar;
  /** Estimated matMul FLOPs of one training micro-batch. */
  flops(examples: ModelExample[]): number;
  /** Writes the trained parts into `folder` and returns what was written. */
  save(folder: string): Promise<MtfOutputs>;
  dispose(): void;
}

function longest(rows: number[][]): number {
  return Math.max(1, ...rows.map((row) => row.length));
}

function requireHyperInputs(examples: ModelExample[]): number[][] {
  return examples.map((example, index) => {
    if (example.hyperInput === undefined) throw new Error(`Internal error: example ${index} of a hypermodel batch has no hypermodel input.`);
    return example.hyperInput;
  });
}

/** Loss of `downstream` on the examples, optionally adapted by PEFT parameters. */
function downstreamLoss(downstream: T5Model, examples: ModelExample[], peft?: PeftParameters): tf.Scalar {
  const batch = seq2seqBatch(examples.map((example) => example.input), examples.map((example) => example.target), downstream.config.pad_token_id);
  return downstream.loss(batch, { training: true, ...(peft ? { peft } : {}) });
}

/** T5-MTF and T5-MTF-Few-shot: every T5 parameter trains. */
export function fullFineTuning(downstream: T5Model, method: MtfMethod): Learner {
  return {
    downstream,
    variables: downstream.params,
    dropoutModels: [downstream],
    loss: (examples) => downstreamLoss(downstream, examples),
    flops: (examples) =>
      estimateFlops(downstream.config, {
        batch: examples.length,
        inputLength: longest(examples.map((example) => example.input)),
        targetLength: longest(examples.map((example) => example.target)),
        model: "t5",
        mode: "train-all",
      }),
    async save(folder) {
      await saveT5(downstream, path.join(folder, "model"));
      return { method, model: "model" };
    },
    dispose: () => downstream.dispose(),
  };
}

/** T5-MTF (Prefix) with Prefix-MLP, or T5-MTF (LoRA): one PEFT module shared by every task trains. */
export function sharedPeft(downstream: T5Model, module: TunableModule, method: MtfMethod): Learner {
  const adapter = module.kind === "lora" ? "adapter" : "adapter.safetensors";
  return {
    downstream,
    variables: module.variables,
    dropoutModels: [downstream],
    loss: (examples) => downstreamLoss(downstream, examples, module.parameters()),
    flops: (examples) =>
      // The frozen T5 still runs forward and backward (for the gradient reaching the module): 2x its forward.
      (2 / 3) *
      estimateFlops(downstream.config, {
        batch: examples.length,
        inputLength: longest(examples.map((example) => example.input)),
        targetLength: longest(examples.map((example) => example.target)),
        model: "t5",
        mode: "train-all",
      }),
    async save(folder) {
      await module.save(path.join(folder, adapter));
      return { method, adapter };
    },
    dispose: () => {
      module.dispose();
      downstream.dispose();
    },
  };
}

/** HyperT5-Prefix / HyperT5-LoRA, and with `trainDownstream` their "+" variants. */
export function hypermodelLearner(downstream: T5Model, hypermodel: HyperT5, method: MtfMethod, trainDownstream: boolean): Learner {
  const variables = new Map(hypermodel.variables);
  if (trainDownstream) for (const [name, variable] of downstream.params) variables.set(`downstream.${name}`, variable);
  return {
    downstream,
    variables,
    dropoutModels: [hypermodel.body, downstream],
    loss: (examples) => {
      const hyperInputs = paddedIds(requireHyperInputs(examples), downstream.config.pad_token_id);
      const peft = hypermodel.generate(hyperInputs.ids, hyperInputs.mask, { training: true });
      return downstreamLoss(downstream, examples, peft);
    },
    flops: (examples) =>
      estimateFlops(downstream.config, {
        batch: examples.length,
        inputLength: longest(examples.map((example) => example.input)),
        targetLength: longest(examples.map((example) => example.target)),
        model: hypermodel.kind === "prefix" ? "hyper_prefix" : "hyper_lora",
        fewShotLength: longest(requireHyperInputs(examples)),
        prefixLength: hypermodel.prefixLength,
        loraRank: hypermodel.loraRank,
        mode: trainDownstream ? "train-all" : "train-hyper",
      }),
    async save(folder) {
      await hypermodel.save(path.join(folder, "hypermodel"));
      if (!trainDownstream) return { method, hypermodel: "hypermodel" };
      await saveT5(downstream, path.join(folder, "model"));
      return { method, hypermodel: "hypermodel", model: "model" };
    },
    dispose: () => {
      hypermodel.dispose();
      downstream.dispose();
    },
  };
}

/** Random PEFT module of an MTF PEFT baseline: Prefix-MLP for T5-MTF (Prefix) (HyperTuning, appendix E), LoRA otherwise. */
export function randomSharedModule(downstream: T5Model, method: "t5-mtf-prefix" | "t5-mtf-lora", shape: { prefixLength: number; loraRank: number }, seed: number): TunableModule {
  return method === "t5-mtf-prefix" ? PrefixMlp.random(downstream.config, shape.prefixLength, seed) : Lora.random(downstream.config, shape.loraRank, seed);
}

/** Parts of an MTF stage's output, loaded for evaluation or PEFT initialization. */
export interface TrainedMethod {
  outputs: MtfOutputs;
  downstream: T5Model;
  adapter?: TunableModule;
  hypermodel?: HyperT5;
  dispose(): void;
}

/** Loads the trained parts of an MTF output; `pretrainedModel` is the frozen T5 used when the method did not train it. */
export function loadTrainedMethod(mtfFolder: string, pretrainedModel: string): TrainedMethod {
  const outputs = JSON.parse(fs.readFileSync(path.join(mtfFolder, mtfOutputsFile), "utf8")) as MtfOutputs;
  const downstream = loadT5(outputs.model ? path.join(mtfFolder, outputs.model) : pretrainedModel);
  const adapter = outputs.adapter ? loadAdapter(downstream.config, path.join(mtfFolder, outputs.adapter)) : undefined;
  const hypermodel = outputs.hypermodel ? HyperT5.load(path.join(mtfFolder, outputs.hypermodel)) : undefined;
  return {
    outputs,
    downstream,
    ...(adapter ? { adapter } : {}),
    ...(hypermodel ? { hypermodel } : {}),
    dispose: () => {
      adapter?.dispose();
      hypermodel?.dispose();
      downstream.dispose();
    },
  };
}
