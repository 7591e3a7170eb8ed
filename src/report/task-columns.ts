/**
 * Columns for per-task tables: our task names, matched to the P3 held-out tasks of the HyperTuning paper where
 * they are one of them, so that the paper's numbers line up with ours.
 */
import type { TableColumn } from "./model.js";
import { p3Tasks, type P3Task } from "./paper-reference.js";

/** Column headings of the HyperTuning paper's P3 tables. */
const p3Labels: Record<P3Task, string> = {
  anli: "ANLI",
  hellaswag: "HSwag",
  cb: "CB",
  copa: "COPA",
  rte: "RTE",
  wic: "WiC",
  wsc: "WSC",
  winogrande: "WGD",
};

const aliases: Record<string, P3Task> = {
  hswag: "hellaswag",
  wgd: "winogrande",
  wscfixed: "wsc",
  winograndexl: "winogrande",
  winogrande_xl: "winogrande",
  winogrande_debiased: "winogrande",
};

/**
 * Maps a task name such as `super_glue/cb`, `super_glue_cb`, `p3/anli` or `winogrande_xl` to the P3 held-out task it names, or
 * undefined when it is none of them.
 */
export function canonicalP3Task(task: string): P3Task | undefined {
  // File-safe names flatten `super_glue/cb` to `super_glue_cb`, so the dataset prefix is dropped in both forms.
  const base = task
    .toLowerCase()
    .split("/")
    .pop()!
    .replace(/[.-]/g, "_")
    .replace(/^super_?glue_/, "");
  const compact = base.replace(/_/g, "");
  for (const candidate of [base, compact]) {
    if ((p3Tasks as readonly string[]).includes(candidate)) return candidate as P3Task;
    const alias = aliases[candidate];
    if (alias !== undefined) return alias;
  }
  return undefined;
}

/**
 * Orders task names: P3 held-out tasks first, in the paper's column order, then the others alphabetically.
 * With `includeAllP3`, every P3 task gets a column even without a result of ours, so the paper's row is complete.
 */
export function taskColumns(tasks: Iterable<string>, includeAllP3: boolean): TableColumn[] {
  const byCanonical = new Map<P3Task, string>();
  const others: string[] = [];
  for (const task of new Set(tasks)) {
    const canonical = canonicalP3Task(task);
    if (canonical !== undefined && !byCanonical.has(canonical)) byCanonical.set(canonical, task);
    else others.push(task);
  }
  const columns: TableColumn[] = [];
  for (const canonical of p3Tasks) {
    const ours = byCanonical.get(canonical);
    if (ours !== undefined) columns.push({ id: ours, label: p3Labels[canonical] });
    else if (includeAllP3) columns.push({ id: canonical, label: p3Labels[canonical] });
  }
  for (const task of others.sort()) columns.push({ id: task, label: task });
  return columns;
}

/** Re-keys a paper row's scores (by P3 task) to our column ids; columns the paper has no number for get null. */
export function alignReference(
  scores: { [column: string]: number },
  columns: TableColumn[],
): { [columnId: string]: number | null } {
  const cells: { [columnId: string]: number | null } = {};
  for (const column of columns) {
    const canonical = canonicalP3Task(column.id);
    const value = canonical !== undefined ? scores[canonical] : scores[column.id];
    cells[column.id] = value ?? null;
  }
  cells.average = scores.average ?? null;
  return cells;
}
