/**
 * Reference numbers from HyperTuning (Phang et al., 2022), transcribed row by row from tables 1-6, 8 and 9.
 *
 * These are the paper's published scores for T5-Large and T5-XL, shown beside this pipeline's results for the
 * Hugging Face profiles and never as results of this pipeline. Each row keeps the row text as printed (`source`),
 * so a test can check every transcribed number against it.
 */

/** The P3 held-out tasks, in the column order of tables 1, 2, 5 and 9. */
export const p3Tasks = ["anli", "hellaswag", "cb", "copa", "rte", "wic", "wsc", "winogrande"] as const;
export type P3Task = (typeof p3Tasks)[number];

/** The MetaICL task splits, in the column order of table 3. */
export const metaiclSplits = ["metaicl/hr_to_lr", "metaicl/non_nli_to_nli", "metaicl/non_class_to_class"] as const;

export type ReferenceModel = "t5-large" | "t5-xl";

/** One printed row of a results table. Scores are in percent. */
export interface ReferenceRow {
  /** Table number in the HyperTuning paper. */
  table: number;
  model: ReferenceModel;
  /** Row label as printed. */
  label: string;
  /** Scores by column id (P3 task, MetaICL split) and `average` for the AVG column. */
  scores: { [column: string]: number };
  /** The row exactly as printed, label followed by the numbers. */
  source: string;
}

function p3Row(table: number, model: ReferenceModel, label: string, numbers: number[], source: string): ReferenceRow {
  const scores: { [column: string]: number } = {};
  p3Tasks.forEach((task, index) => {
    scores[task] = numbers[index]!;
  });
  scores.average = numbers[p3Tasks.length]!;
  return { table, model, label, scores, source };
}

function metaiclRow(label: string, numbers: number[], source: string): ReferenceRow {
  const scores: { [column: string]: number } = {};
  metaiclSplits.forEach((split, index) => {
    scores[split] = numbers[index]!;
  });
  return { table: 3, model: "t5-large", label, scores, source };
}

function averageRow(table: number, model: ReferenceModel, label: string, average: number, source: string): ReferenceRow {
  return { table, model, label, scores: { average }, source };
}

/** Table 1: P3 held-out tasks (dev), T5-Large. */
const table1: ReferenceRow[] = [
  p3Row(1, "t5-large", "T5-MTF", [33.4, 28.0, 63.0, 77.9, 71.1, 50.8, 61.0, 53.4, 54.8], "T5-MTF 33.4 28.0 63.0 77.9 71.1 50.8 61.0 53.4 54.8"),
  p3Row(1, "t5-large", "T5-MTF-Few-shot", [35.3, 27.5, 68.6, 70.5, 75.2, 51.7, 62.1, 52.2, 55.4], "T5-MTF-Few-shot 35.3 27.5 68.6 70.5 75.2 51.7 62.1 52.2 55.4"),
  p3Row(1, "t5-large", "T5-MTF (Prefix)", [33.1, 26.1, 53.9, 67.8, 60.5, 49.8, 54.7, 51.4, 49.7], "T5-MTF (Prefix) 33.1 26.1 53.9 67.8 60.5 49.8 54.7 51.4 49.7"),
  p3Row(1, "t5-large", "T5-MTF (LoRA)", [32.9, 26.0, 36.0, 59.7, 49.8, 51.2, 58.1, 50.5, 45.5], "T5-MTF (LoRA) 32.9 26.0 36.0 59.7 49.8 51.2 58.1 50.5 45.5"),
  p3Row(1, "t5-large", "HyperT5-Prefix", [33.4, 32.3, 60.1, 73.9, 71.5, 51.1, 63.0, 51.1, 54.6], "HyperT5-Prefix 33.4 32.3 60.1 73.9 71.5 51.1 63.0 51.1 54.6"),
  p3Row(1, "t5-large", "HyperT5-LoRA", [33.6, 33.0, 49.5, 74.2, 67.4, 52.0, 64.0, 52.9, 53.3], "HyperT5-LoRA 33.6 33.0 49.5 74.2 67.4 52.0 64.0 52.9 53.3"),
  p3Row(1, "t5-large", "HyperT5-Prefix+", [34.5, 32.2, 58.1, 78.4, 76.5, 50.4, 63.8, 54.3, 56.0], "HyperT5-Prefix+ 34.5 32.2 58.1 78.4 76.5 50.4 63.8 54.3 56.0"),
  p3Row(1, "t5-large", "HyperT5-LoRA+", [33.9, 30.7, 62.1, 75.8, 72.3, 50.8, 64.6, 54.5, 55.6], "HyperT5-LoRA+ 33.9 30.7 62.1 75.8 72.3 50.8 64.6 54.5 55.6"),
];

/** Table 2: P3 held-out tasks (dev), T5-XL. T0 is taken there from Sanh et al. (2022). */
const table2: ReferenceRow[] = [
  p3Row(2, "t5-xl", "T5-MTF", [39.9, 29.4, 64.5, 88.0, 80.8, 51.7, 60.7, 57.9, 59.1], "T5-MTF 39.9 29.4 64.5 88.0 80.8 51.7 60.7 57.9 59.1"),
  p3Row(2, "t5-xl", "T5-MTF-Few-shot", [37.9, 30.9, 67.6, 90.5, 76.6, 51.2, 63.3, 61.1, 59.9], "T5-MTF-Few-shot 37.9 30.9 67.6 90.5 76.6 51.2 63.3 61.1 59.9"),
  p3Row(2, "t5-xl", "T5-MTF (Prefix)", [38.3, 31.2, 61.4, 82.4, 78.6, 52.6, 57.0, 54.3, 57.0], "T5-MTF (Prefix) 38.3 31.2 61.4 82.4 78.6 52.6 57.0 54.3 57.0"),
  p3Row(2, "t5-xl", "T5-MTF (LoRA)", [33.9, 26.4, 47.1, 67.2, 53.3, 50.8, 51.5, 50.3, 47.6], "T5-MTF (LoRA) 33.9 26.4 47.1 67.2 53.3 50.8 51.5 50.3 47.6"),
  p3Row(2, "t5-xl", "HyperT5-Prefix", [38.7, 33.6, 69.6, 88.4, 79.5, 53.1, 57.6, 56.6, 59.6], "HyperT5-Prefix 38.7 33.6 69.6 88.4 79.5 53.1 57.6 56.6 59.6"),
  p3Row(2, "t5-xl", "HyperT5-LoRA", [35.3, 30.8, 66.4, 83.3, 68.5, 50.3, 60.0, 56.1, 56.4], "HyperT5-LoRA 35.3 30.8 66.4 83.3 68.5 50.3 60.0 56.1 56.4"),
  p3Row(2, "t5-xl", "T0", [33.4, 27.3, 45.4, 73.1, 64.5, 50.7, 65.0, 51.0, 51.3], "T0 33.4 27.3 45.4 73.1 64.5 50.7 65.0 51.0 51.3"),
];

/** Table 3: MetaICL (test), T5-Large. The table has no AVG column. */
const table3: ReferenceRow[] = [
  metaiclRow("T5-MTF", [34.3, 48.8, 30.3], "T5-MTF 34.3 48.8 30.3"),
  metaiclRow("T5-MTF-Few-shot", [41.0, 56.7, 40.6], "T5-MTF-Few-shot 41.0 56.7 40.6"),
  metaiclRow("T5-MTF (Prefix)", [29.8, 42.8, 29.6], "T5-MTF (Prefix) 29.8 42.8 29.6"),
  metaiclRow("T5-MTF (LoRA)", [31.5, 41.3, 28.7], "T5-MTF (LoRA) 31.5 41.3 28.7"),
  metaiclRow("HyperT5-Prefix", [38.0, 58.3, 38.6], "HyperT5-Prefix 38.0 58.3 38.6"),
  metaiclRow("HyperT5-LoRA", [35.4, 54.2, 34.8], "HyperT5-LoRA 35.4 54.2 34.8"),
];

/** Table 4 (T5-Large) and table 6 (T5-XL): S-NI (test), ROUGE-L averaged over tasks. */
const tables4And6: ReferenceRow[] = [
  averageRow(4, "t5-large", "T5-MTF (Def)", 40.6, "T5-MTF (Def) 40.6"),
  averageRow(4, "t5-large", "T5-MTF (Def+2Pos)", 47.6, "T5-MTF (Def+2Pos) 47.6"),
  averageRow(4, "t5-large", "HyperT5-Prefix (Def)", 37.1, "HyperT5-Prefix (Def) 37.1"),
  averageRow(4, "t5-large", "HyperT5-Prefix (Def+2Pos)", 43.5, "HyperT5-Prefix (Def+2Pos) 43.5"),
  averageRow(4, "t5-large", "HyperT5-LoRA (Def)", 34.9, "HyperT5-LoRA (Def) 34.9"),
  averageRow(4, "t5-large", "HyperT5-LoRA (Def+2Pos)", 42.0, "HyperT5-LoRA (Def+2Pos) 42.0"),
  averageRow(4, "t5-large", "Tk-Instruct (Def+2Pos)", 48.0, "Tk-Instruct (Def+2Pos) 48.0"),
  averageRow(6, "t5-xl", "T5-MTF (Def)", 46.6, "T5-MTF (Def) 46.6"),
  averageRow(6, "t5-xl", "T5-MTF (Def+2Pos)", 54.3, "T5-MTF (Def+2Pos) 54.3"),
  averageRow(6, "t5-xl", "HyperT5-Prefix (Def)", 38.9, "HyperT5-Prefix (Def) 38.9"),
  averageRow(6, "t5-xl", "HyperT5-Prefix (Def+2Pos)", 48.6, "HyperT5-Prefix (Def+2Pos) 48.6"),
  averageRow(6, "t5-xl", "HyperT5-LoRA (Def)", 38.9, "HyperT5-LoRA (Def) 38.9"),
  averageRow(6, "t5-xl", "HyperT5-LoRA (Def+2Pos)", 45.0, "HyperT5-LoRA (Def+2Pos) 45.0"),
  averageRow(6, "t5-xl", "Tk-Instruct (Def+2Pos)", 54.0, "Tk-Instruct (Def+2Pos) 54.0"),
];

/** Table 8: prefix-only against prefix-and-suffix hyperpretraining, T5-Large. */
const table8: ReferenceRow[] = [
  averageRow(8, "t5-large", "P3: HyperT5-Prefix (Prefix-only)", 54.5, "HyperT5-Prefix (Prefix-only) 54.5"),
  averageRow(8, "t5-large", "P3: HyperT5-Prefix (Prefix-and-suffix)", 52.6, "HyperT5-Prefix (Prefix-and-suffix) 52.6"),
  averageRow(8, "t5-large", "S-NI: HyperT5-Prefix (Def+2Pos, Prefix-only)", 43.6, "HyperT5-Prefix (Def+2Pos, Prefix-only) 43.6"),
  averageRow(8, "t5-large", "S-NI: HyperT5-Prefix (Def+2Pos, Prefix-and-suffix)", 39.1, "HyperT5-Prefix (Def+2Pos, Prefix-and-suffix) 39.1"),
];

/** Table 9 (whose Prefix-MLP and LoRA rows are table 5): PEFT from three initializations, T5-Large, P3. */
const table9: ReferenceRow[] = [
  p3Row(9, "t5-large", "Prefix-Flat (Rand Init)", [43.6, 36.3, 82.7, 74.0, 72.9, 64.4, 64.2, 53.0, 61.4], "Prefix-Flat (Rand Init) 43.6 36.3 82.7 74.0 72.9 64.4 64.2 53.0 61.4"),
  p3Row(9, "t5-large", "Prefix-Flat (Shared Init)", [54.3, 40.4, 98.8, 82.7, 83.9, 71.0, 67.4, 57.1, 69.4], "Prefix-Flat (Shared Init) 54.3 40.4 98.8 82.7 83.9 71.0 67.4 57.1 69.4"),
  p3Row(9, "t5-large", "Prefix-Flat (Hyper Init)", [56.6, 43.5, 91.7, 84.3, 85.3, 69.3, 73.0, 67.6, 71.4], "Prefix-Flat (Hyper Init) 56.6 43.5 91.7 84.3 85.3 69.3 73.0 67.6 71.4"),
  p3Row(9, "t5-large", "Prefix-MLP (Rand Init)", [54.6, 50.5, 98.8, 79.0, 78.8, 71.6, 63.5, 52.2, 68.6], "Prefix-MLP (Rand Init) 54.6 50.5 98.8 79.0 78.8 71.6 63.5 52.2 68.6"),
  p3Row(9, "t5-large", "Prefix-MLP (Shared Init)", [60.8, 51.6, 99.4, 85.7, 84.8, 72.4, 72.6, 65.1, 74.0], "Prefix-MLP (Shared Init) 60.8 51.6 99.4 85.7 84.8 72.4 72.6 65.1 74.0"),
  p3Row(9, "t5-large", "Prefix-MLP (Hyper Init)", [61.4, 51.5, 97.6, 84.3, 87.1, 71.2, 76.5, 71.6, 75.2], "Prefix-MLP (Hyper Init) 61.4 51.5 97.6 84.3 87.1 71.2 76.5 71.6 75.2"),
  p3Row(9, "t5-large", "LoRA (Rand Init)", [59.5, 51.3, 93.5, 78.0, 82.6, 73.5, 77.9, 65.1, 72.7], "LoRA (Rand Init) 59.5 51.3 93.5 78.0 82.6 73.5 77.9 65.1 72.7"),
  p3Row(9, "t5-large", "LoRA (Shared Init)", [57.9, 51.6, 99.4, 83.0, 83.8, 73.1, 73.3, 67.9, 73.7], "LoRA (Shared Init) 57.9 51.6 99.4 83.0 83.8 73.1 73.3 67.9 73.7"),
  p3Row(9, "t5-large", "LoRA (Hyper Init)", [57.7, 48.4, 99.4, 87.3, 84.1, 73.0, 83.9, 66.2, 75.0], "LoRA (Hyper Init) 57.7 48.4 99.4 87.3 84.1 73.0 83.9 66.2 75.0"),
];

/** Table 5 repeats the Prefix-MLP and LoRA rows of table 9 under the labels "Prefix (… Init)". */
const table5: ReferenceRow[] = table9
  .filter((row) => !row.label.startsWith("Prefix-Flat"))
  .map((row) => ({
    ...row,
    table: 5,
    label: row.label.replace("Prefix-MLP", "Prefix"),
    source: row.source.replace("Prefix-MLP", "Prefix"),
  }));

export const referenceRows: readonly ReferenceRow[] = [
  ...table1,
  ...table2,
  ...table3,
  ...tables4And6,
  ...table5,
  ...table8,
  ...table9,
];

/** Finds the printed row of `table` with the given label, or undefined when the table has no such row. */
export function findReferenceRow(table: number, label: string): ReferenceRow | undefined {
  return referenceRows.find((row) => row.table === table && row.label === label);
}
