/**
 * Tables built from `eval` summaries, in the layout of the HyperTuning paper (Phang et al., 2022): P3 (tables 1
 * and 2), MetaICL (table 3), S-NI (tables 4 and 6) and the hyperpretraining ablation (table 8).
 */
import type { EvalDataset, EvalSummary, MtfMethod } from "../experiments/results.js";
import type { ReportTable, TableColumn, TableRow } from "./model.js";
import { findReferenceRow, metaiclSplits, type ReferenceModel } from "./paper-reference.js";
import { alignReference, taskColumns } from "./task-columns.js";

/** Row labels and sections as printed in the paper. */
export const methodLabels: Record<MtfMethod, string> = {
  "t5-mtf": "T5-MTF",
  "t5-mtf-few-shot": "T5-MTF-Few-shot",
  "t5-mtf-prefix": "T5-MTF (Prefix)",
  "t5-mtf-lora": "T5-MTF (LoRA)",
  "hyper-prefix": "HyperT5-Prefix",
  "hyper-lora": "HyperT5-LoRA",
  "hyper-prefix-plus": "HyperT5-Prefix+",
  "hyper-lora-plus": "HyperT5-LoRA+",
};

const methodGroups: Record<MtfMethod, string> = {
  "t5-mtf": "Full Fine-Tuning",
  "t5-mtf-few-shot": "Full Fine-Tuning",
  "t5-mtf-prefix": "Parameter-Efficient Fine-Tuning (PEFT)",
  "t5-mtf-lora": "Parameter-Efficient Fine-Tuning (PEFT)",
  "hyper-prefix": "HyperTuning",
  "hyper-lora": "HyperTuning",
  "hyper-prefix-plus": "HyperTuning + Fine-Tuning",
  "hyper-lora-plus": "HyperTuning + Fine-Tuning",
};

const otherResults = "Other results (reference only, not run by this pipeline)";

export const missingFootnote = "— no result: this profile has no stage that produces this cell.";

function isMainVariant(summary: EvalSummary): boolean {
  return summary.hyperpretrainVariant === undefined || summary.hyperpretrainVariant === "prefix-and-suffix";
}

/**
 * Picks the evaluation that stands for `method` on `dataset` in the main tables: prefix-and-suffix
 * hyperpretraining for the full number of steps. That is the one without a step count or, when hypermodel
 * evaluations record their steps, the one with the most; the hyperpretraining-steps sweep stops short of it.
 */
export function mainEval(evals: EvalSummary[], dataset: EvalDataset, method: MtfMethod): EvalSummary | undefined {
  const candidates = evals.filter((summary) => summary.dataset === dataset && summary.method === method && isMainVariant(summary));
  const withoutSteps = candidates.find((summary) => summary.hyperpretrainSteps === undefined);
  if (withoutSteps !== undefined) return withoutSteps;
  return [...candidates].sort((a, b) => b.hyperpretrainSteps! - a.hyperpretrainSteps!)[0];
}

function evalCells(summary: EvalSummary | undefined, columns: TableColumn[]): { [columnId: string]: number | null } {
  const cells: { [columnId: string]: number | null } = {};
  for (const column of columns) cells[column.id] = summary?.tasks[column.id] ?? null;
  cells.average = summary?.average ?? null;
  return cells;
}

function referenceFor(table: number | undefined, label: string, columns: TableColumn[]): TableRow["reference"] {
  if (table === undefined) return undefined;
  const row = findReferenceRow(table, label);
  return row === undefined ? undefined : { table, label: row.label, cells: alignReference(row.scores, columns) };
}

function methodsShown(evals: EvalSummary[], paperMethods: readonly MtfMethod[]): MtfMethod[] {
  const present = new Set(evals.map((summary) => summary.method));
  return (Object.keys(methodLabels) as MtfMethod[]).filter((method) => paperMethods.includes(method) || present.has(method));
}

const allMethods = Object.keys(methodLabels) as MtfMethod[];

/** P3 held-out tasks: table 1 (T5-Large) or table 2 (T5-XL). */
export function p3Table(evals: EvalSummary[], referenceModel: ReferenceModel | null): ReportTable {
  const p3 = evals.filter((summary) => summary.dataset === "p3");
  const paperTable = referenceModel === "t5-xl" ? 2 : 1;
  const referenceTable = referenceModel === null ? undefined : paperTable;
  const columns = taskColumns(p3.flatMap((summary) => Object.keys(summary.tasks)), referenceModel !== null);
  const paperMethods = referenceModel === "t5-xl" ? allMethods.slice(0, 6) : allMethods;

  const rows: TableRow[] = methodsShown(p3, paperMethods).map((method) => ({
    label: methodLabels[method],
    group: methodGroups[method],
    cells: evalCells(mainEval(p3, "p3", method), columns),
    reference: referenceFor(referenceTable, methodLabels[method], columns),
  }));
  if (referenceModel === "t5-xl") {
    rows.push({ label: "T0", group: otherResults, cells: null, reference: referenceFor(2, "T0", columns) });
  }
  return {
    id: "p3",
    title: "P3 held-out tasks",
    paperTable,
    metric: "accuracy (%), rank classification",
    columns,
    rows,
    footnotes: [missingFootnote, "AVG is the mean over the tasks the evaluation stage scored."],
  };
}

const metaiclLabels: Record<string, string> = {
  "metaicl/hr_to_lr": "HR→LR",
  "metaicl/non_nli_to_nli": "Non-NLI→NLI",
  "metaicl/non_class_to_class": "Non-Class→Class",
};

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** MetaICL task splits: table 3 (T5-Large only). Each cell is the split's average over its tasks. */
export function metaiclTable(evals: EvalSummary[], referenceModel: ReferenceModel | null): ReportTable {
  const columns: TableColumn[] = metaiclSplits.map((split) => ({ id: split, label: metaiclLabels[split]! }));
  const referenceTable = referenceModel === "t5-large" ? 3 : undefined;
  const metaicl = evals.filter((summary) => summary.dataset.startsWith("metaicl/"));
  const rows: TableRow[] = methodsShown(metaicl, allMethods.slice(0, 6)).map((method) => {
    const cells: { [columnId: string]: number | null } = {};
    for (const split of metaiclSplits) cells[split] = mainEval(metaicl, split, method)?.average ?? null;
    const scores = metaiclSplits.map((split) => cells[split]);
    cells.average = scores.every((score): score is number => score !== null) ? mean(scores) : null;
    return {
      label: methodLabels[method],
      group: methodGroups[method],
      cells,
      reference: referenceFor(referenceTable, methodLabels[method], columns),
    };
  });
  return {
    id: "metaicl",
    title: "MetaICL task splits",
    paperTable: 3,
    metric: "macro-F1 (classification tasks) or accuracy (%), averaged over the split's test tasks",
    columns,
    rows,
    footnotes: [
      missingFootnote,
      "AVG is the mean of the three splits, computed only when all three have a result; table 3 of HyperTuning has no AVG column.",
    ],
  };
}

const sniSettings: { dataset: EvalDataset; suffix: string }[] = [
  { dataset: "sni/def", suffix: "(Def)" },
  { dataset: "sni/def-2pos", suffix: "(Def+2Pos)" },
];

/** Super-NaturalInstructions: table 4 (T5-Large) or table 6 (T5-XL), ROUGE-L averaged over the test tasks. */
export function sniTable(evals: EvalSummary[], referenceModel: ReferenceModel | null): ReportTable {
  const paperTable = referenceModel === "t5-xl" ? 6 : 4;
  const referenceTable = referenceModel === null ? undefined : paperTable;
  const sni = evals.filter((summary) => summary.dataset.startsWith("sni/"));
  const methods = methodsShown(sni, ["t5-mtf", "hyper-prefix", "hyper-lora"]);
  const rows: TableRow[] = [];
  for (const method of methods) {
    for (const setting of sniSettings) {
      const label = `${methodLabels[method]} ${setting.suffix}`;
      rows.push({
        label,
        group: methodGroups[method],
        cells: { average: mainEval(sni, setting.dataset, method)?.average ?? null },
        reference: referenceFor(referenceTable, label, []),
      });
    }
  }
  if (referenceModel !== null) {
    rows.push({ label: "Tk-Instruct (Def+2Pos)", group: otherResults, cells: null, reference: referenceFor(paperTable, "Tk-Instruct (Def+2Pos)", []) });
  }
  return {
    id: "sni",
    title: "Super-NaturalInstructions (Def: task definition only; Def+2Pos: definition and two positive examples)",
    paperTable,
    metric: "ROUGE-L (%), averaged over the test tasks",
    columns: [],
    rows,
    footnotes: [missingFootnote],
  };
}

/** Prefix-only against prefix-and-suffix hyperpretraining of HyperT5-Prefix: table 8. */
export function hyperpretrainVariantTable(evals: EvalSummary[], referenceModel: ReferenceModel | null): ReportTable {
  const referenceTable = referenceModel === "t5-large" ? 8 : undefined;
  const prefixOnly = (dataset: EvalDataset): EvalSummary | undefined =>
    evals.find((summary) => summary.dataset === dataset && summary.method === "hyper-prefix" && summary.hyperpretrainVariant === "prefix-only");
  const rowsSpec: { label: string; group: string; summary: EvalSummary | undefined }[] = [
    { label: "P3: HyperT5-Prefix (Prefix-only)", group: "P3", summary: prefixOnly("p3") },
    { label: "P3: HyperT5-Prefix (Prefix-and-suffix)", group: "P3", summary: mainEval(evals, "p3", "hyper-prefix") },
    { label: "S-NI: HyperT5-Prefix (Def+2Pos, Prefix-only)", group: "Super-NaturalInstructions", summary: prefixOnly("sni/def-2pos") },
    {
      label: "S-NI: HyperT5-Prefix (Def+2Pos, Prefix-and-suffix)",
      group: "Super-NaturalInstructions",
      summary: mainEval(evals, "sni/def-2pos", "hyper-prefix"),
    },
  ];
  return {
    id: "hyperpretrain-variants",
    title: "Prefix-only against prefix-and-suffix hyperpretraining",
    paperTable: 8,
    metric: "P3: accuracy (%); S-NI: ROUGE-L (%)",
    columns: [],
    rows: rowsSpec.map((spec) => ({
      label: spec.label,
      group: spec.group,
      cells: { average: spec.summary?.average ?? null },
      reference: referenceFor(referenceTable, spec.label, []),
    })),
    footnotes: [missingFootnote],
  };
}
