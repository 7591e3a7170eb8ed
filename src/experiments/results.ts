/**
 * Summary records that the experiment stages write into their manifests and that the report reads.
 * Stage ids may change; the report finds results by these fields, never by parsing ids.
 */

/** Methods of the multi-task fine-tuning tables (HyperTuning, Phang et al. 2022, tables 1-4). */
export const mtfMethods = [
  "t5-mtf",
  "t5-mtf-few-shot",
  "t5-mtf-prefix",
  "t5-mtf-lora",
  "hyper-prefix",
  "hyper-lora",
  "hyper-prefix-plus",
  "hyper-lora-plus",
] as const;
export type MtfMethod = (typeof mtfMethods)[number];

/** Evaluation datasets: P3 held-out tasks, the MetaICL splits, and S-NI in its two input settings. */
export type EvalDataset =
  | "p3"
  | "metaicl/hr_to_lr"
  | "metaicl/non_nli_to_nli"
  | "metaicl/non_class_to_class"
  | "sni/def"
  | "sni/def-2pos";

/** Summary of an `eval` stage. Scores are in percent (0-100). */
export interface EvalSummary {
  kind: "eval";
  dataset: EvalDataset;
  method: MtfMethod;
  /** `accuracy` (P3), `macro-f1/accuracy` (MetaICL: macro-F1 for classification tasks, accuracy otherwise), `rouge-l` (S-NI). */
  metric: string;
  /** Mean of the per-task scores. */
  average: number;
  tasks: { [task: string]: number };
  examples: number;
  /** Set when the evaluated hypermodel was hyperpretrained for this many steps (score against steps). */
  hyperpretrainSteps?: number;
  /** Set for the prefix-only hyperpretraining variant. */
  hyperpretrainVariant?: "prefix-and-suffix" | "prefix-only";
}

export type PeftMethod = "prefix-flat" | "prefix-mlp" | "lora";
export type PeftInit = "random" | "shared" | "hyper";

/** Summary of one `peft/<task>/<method>/<init>/<lr>/<seed>` stage. Scores are in percent. */
export interface PeftSummary {
  kind: "peft";
  task: string;
  method: PeftMethod;
  init: PeftInit;
  learningRate: number;
  seed: number;
  /** Score after the last step. */
  final: number;
  /** Score along training, including step 0 (the initialization itself). */
  curve: { step: number; score: number }[];
}

/** Summary of a `hyperpretrain` stage. */
export interface HyperpretrainSummary {
  kind: "hyperpretrain";
  hypermodel: "hyper-prefix" | "hyper-lora";
  variant: "prefix-and-suffix" | "prefix-only";
  steps: number;
  finalLoss: number;
  /** Steps at which a checkpoint was kept (file names `checkpoint-<step>/`). */
  checkpointSteps: number[];
}

/** Summary of a training stage (`pretrain`, `mtf/...`). */
export interface TrainingSummary {
  kind: "pretrain" | "mtf";
  steps: number;
  finalLoss: number;
  /** Estimated floating-point operations of the whole stage (matMuls, 3x forward for training). */
  estimatedFlops: number;
  wallSeconds: number;
}
