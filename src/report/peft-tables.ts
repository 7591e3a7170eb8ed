/**
 * PEFT from three initializations (random, shared, hyper): tables 5 and 9 and the curves of figures 6, 11 and 12
 * of HyperTuning (Phang et al., 2022).
 *
 * The paper's protocol: for each method, initialization and task, sweep the learning rates and take the best
 * score averaged over the random seeds. The curves use the same chosen learning rate per task, averaged over the
 * seeds, then over the tasks.
 */
import type { PeftInit, PeftMethod, PeftSummary } from "../experiments/results.js";
import type { PlotSeries, ReportTable, TableColumn, TableRow } from "./model.js";
import type { ReferenceModel } from "./paper-reference.js";
import { findReferenceRow } from "./paper-reference.js";
import { missingFootnote } from "./eval-tables.js";
import { alignReference, taskColumns } from "./task-columns.js";

export const peftInits: PeftInit[] = ["random", "shared", "hyper"];
const initLabels: Record<PeftInit, string> = { random: "Rand Init", shared: "Shared Init", hyper: "Hyper Init" };
export const peftMethodLabels: Record<PeftMethod, string> = { "prefix-flat": "Prefix-Flat", "prefix-mlp": "Prefix-MLP", lora: "LoRA" };

/** The learning rate chosen for one method, initialization and task, and the runs behind it. */
export interface PeftSelection {
  task: string;
  learningRate: number;
  /** Final score averaged over the seeds of the chosen learning rate. */
  score: number;
  runs: PeftSummary[];
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string | number): Map<string | number, T[]> {
  const groups = new Map<string | number, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * Picks, for every task of `runs` (one method and initialization), the learning rate with the best final score
 * averaged over seeds. Ties go to the larger learning rate, so the choice does not depend on the order of runs.
 */
export function selectLearningRates(runs: PeftSummary[]): Map<string, PeftSelection> {
  const selections = new Map<string, PeftSelection>();
  for (const [task, taskRuns] of groupBy(runs, (run) => run.task)) {
    let best: PeftSelection | undefined;
    for (const [learningRate, rateRuns] of groupBy(taskRuns, (run) => run.learningRate)) {
      const score = mean(rateRuns.map((run) => run.final));
      const candidate = { task: String(task), learningRate: Number(learningRate), score, runs: rateRuns };
      if (best === undefined || score > best.score || (score === best.score && candidate.learningRate > best.learningRate)) {
        best = candidate;
      }
    }
    selections.set(String(task), best!);
  }
  return selections;
}

function runsOf(peft: PeftSummary[], method: PeftMethod, init: PeftInit): PeftSummary[] {
  return peft.filter((run) => run.method === method && run.init === init);
}

function selectionDetail(selections: Map<string, PeftSelection>): string | undefined {
  if (selections.size === 0) return undefined;
  const parts = [...selections.values()]
    .sort((a, b) => a.task.localeCompare(b.task, "en"))
    .map((selection) => `${selection.task}: lr ${selection.learningRate}, ${selection.runs.length} seed(s)`);
  return parts.join("; ");
}

function peftRow(peft: PeftSummary[], method: PeftMethod, init: PeftInit, columns: TableColumn[], label: string, reference: TableRow["reference"]): TableRow {
  const selections = selectLearningRates(runsOf(peft, method, init));
  const cells: { [columnId: string]: number | null } = {};
  for (const column of columns) cells[column.id] = selections.get(column.id)?.score ?? null;
  const scores = columns.map((column) => cells[column.id]);
  // An average over fewer tasks than the other rows would not be comparable with them, so it stays empty.
  cells.average = scores.length > 0 && scores.every((score): score is number => score !== null) ? mean(scores) : null;
  const row: TableRow = { label, group: peftMethodLabels[method], cells, reference };
  const detail = selectionDetail(selections);
  if (detail !== undefined) row.detail = detail;
  return row;
}

function peftTable(
  peft: PeftSummary[],
  referenceModel: ReferenceModel | null,
  paperTable: 5 | 9,
  methods: PeftMethod[],
  labelOf: (method: PeftMethod) => string,
): ReportTable {
  const tableRuns = peft.filter((run) => methods.includes(run.method));
  const columns = taskColumns(tableRuns.map((run) => run.task), referenceModel === "t5-large");
  const rows: TableRow[] = [];
  for (const method of methods) {
    for (const init of peftInits) {
      const label = `${labelOf(method)} (${initLabels[init]})`;
      const printed = referenceModel === "t5-large" ? findReferenceRow(paperTable, label) : undefined;
      const reference = printed === undefined ? undefined : { table: paperTable, label, cells: alignReference(printed.scores, columns) };
      rows.push(peftRow(tableRuns, method, init, columns, label, reference));
    }
  }
  return {
    id: paperTable === 5 ? "peft-init" : "peft-init-full",
    title:
      paperTable === 5
        ? "Prefix (MLP reparameterization) and LoRA tuning from different initializations"
        : "Prefix-Flat, Prefix-MLP and LoRA tuning from different initializations",
    paperTable,
    metric: "score (%) after the last PEFT step: best learning rate per task, averaged over seeds",
    columns,
    rows,
    footnotes: [missingFootnote, "AVG is the mean over the table's tasks, computed only when the row has every task."],
  };
}

/** Table 5: Prefix (the MLP reparameterization) and LoRA. */
export function peftInitTable(peft: PeftSummary[], referenceModel: ReferenceModel | null): ReportTable {
  return peftTable(peft, referenceModel, 5, ["prefix-mlp", "lora"], (method) => (method === "prefix-mlp" ? "Prefix" : "LoRA"));
}

/** Table 9: Prefix-Flat, Prefix-MLP and LoRA. */
export function peftInitFullTable(peft: PeftSummary[], referenceModel: ReferenceModel | null): ReportTable {
  return peftTable(peft, referenceModel, 9, ["prefix-flat", "prefix-mlp", "lora"], (method) => peftMethodLabels[method]);
}

/** Averages curves point by point over the steps that every curve has. */
export function averageCurves(curves: { step: number; score: number }[][]): { x: number; y: number }[] {
  if (curves.length === 0) return [];
  const common = curves
    .map((curve) => new Set(curve.map((point) => point.step)))
    .reduce((shared, steps) => new Set([...shared].filter((step) => steps.has(step))));
  return [...common]
    .sort((a, b) => a - b)
    .map((step) => ({ x: step, y: mean(curves.map((curve) => curve.find((point) => point.step === step)!.score)) }));
}

/** One series per initialization: score against PEFT steps, averaged over seeds and then over tasks. */
export function hyperInitCurves(peft: PeftSummary[], method: PeftMethod): PlotSeries[] {
  const series: PlotSeries[] = [];
  for (const init of peftInits) {
    const selections = selectLearningRates(runsOf(peft, method, init));
    if (selections.size === 0) continue;
    const perTask = [...selections.values()].map((selection) =>
      averageCurves(selection.runs.map((run) => run.curve)).map((point) => ({ step: point.x, score: point.y })),
    );
    series.push({ label: initLabels[init], points: averageCurves(perTask) });
  }
  return series;
}
