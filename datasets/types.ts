/**
 * Normalized task data shared by every loader (P3, MetaICL, Super-NaturalInstructions, the embedded suite) and read
 * by the training and evaluation stages. On disk a collection is a folder with `collection.json` (a
 * `CollectionIndex`) and one `tasks/<task name>.jsonl` file per task, each line an `Example`.
 */

/** Which benchmark a collection is shaped like; it decides the few-shot format and the metric. */
export type CollectionFamily = "p3" | "metaicl" | "sni";

/** Metric a task is scored with. */
export type TaskMetric = "accuracy" | "macro-f1" | "rouge-l";

export interface Example {
  input: string;
  /** Reference output; for S-NI the first of `references`. */
  target: string;
  /** Answer choices for rank classification; absent or empty for free-form tasks. */
  choices?: string[];
  /** Every acceptable output (S-NI instances may list several); defaults to `[target]`. */
  references?: string[];
  /** Split the example belongs to. */
  split: "train" | "test";
}

export interface TaskInfo {
  /** Task name, safe as a file name (`[A-Za-z0-9._-]`, no leading dot). */
  name: string;
  /** Whether the task is a meta-training task or a held-out evaluation task. */
  role: "train" | "heldout";
  metric: TaskMetric;
  /** For MetaICL: "classification", "multi-choice" or "free-form". */
  taskType?: string;
  /** S-NI task definition (instruction). */
  definition?: string;
  /** S-NI positive examples, used in the Def+2Pos setting. */
  positives?: { input: string; output: string }[];
  /** Source of the data (dataset id, file, commit) for provenance. */
  source: string;
  trainCount: number;
  testCount: number;
}

export interface CollectionIndex {
  family: CollectionFamily;
  /** Name of this collection, e.g. `p3`, `metaicl/hr_to_lr`, `sni`, `embedded/p3-like`. */
  name: string;
  tasks: TaskInfo[];
}
