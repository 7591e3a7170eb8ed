/**
 * The regression check: a report's metrics against a committed baseline, each within its declared tolerance.
 *
 * A metric is worse when it moved in its bad direction (a score down, a loss up) by more than its tolerance. A
 * worse or missing metric fails the check. Changes for the better beyond the tolerance pass and are listed, so
 * that the baseline can be updated on purpose.
 */
import fs from "node:fs";
import { Ajv } from "ajv";
import type { Report } from "./model.js";

export type Direction = "higher-is-better" | "lower-is-better";

export interface Metric {
  value: number;
  direction: Direction;
}

export interface BaselineMetric extends Metric {
  /** Largest allowed move in the bad direction, in the metric's unit (percentage points for scores). */
  tolerance: number;
}

export interface Baseline {
  baselineVersion: 1;
  profile: string;
  createdAt: string;
  gitCommit: string | null;
  stageKeysDigest: string;
  /** Tensor backend of the run the values come from; other backends round differently. */
  backend?: string | null;
  metrics: { [name: string]: BaselineMetric };
}

/** Default tolerances written by `--update-baseline` for metrics the baseline does not declare yet. */
export const defaultTolerances = {
  /** Percentage points for a table's AVG column. */
  average: 2,
  /** Percentage points for a single task: one example more or less right moves it more than an average. */
  task: 5,
  /** Fraction of the baseline value for a final training loss. */
  relativeLoss: 0.05,
};

/**
 * Flattens the numbers a regression should watch: every filled table cell of ours (scores, higher is better) and
 * every final training loss (lower is better). Paper reference numbers are not ours and are left out.
 */
export function reportMetrics(report: Report): Map<string, Metric> {
  const metrics = new Map<string, Metric>();
  for (const table of report.tables) {
    for (const row of table.rows) {
      if (row.cells === null) continue;
      for (const [column, value] of Object.entries(row.cells)) {
        if (value !== null) metrics.set(`${table.id}: ${row.label} [${column}]`, { value, direction: "higher-is-better" });
      }
    }
  }
  for (const row of report.training) {
    metrics.set(`training: ${row.stage} [finalLoss]`, { value: row.finalLoss, direction: "lower-is-better" });
  }
  return metrics;
}

/** Orders by UTF-16 code units, so the order does not depend on the locale. */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function defaultTolerance(name: string, metric: Metric): number {
  if (metric.direction === "lower-is-better") return Number((Math.abs(metric.value) * defaultTolerances.relativeLoss).toPrecision(3));
  return name.endsWith("[average]") ? defaultTolerances.average : defaultTolerances.task;
}

/** Builds a baseline from `report`. Tolerances declared in `previous` are kept, and new metrics get the defaults. */
export function baselineFromReport(report: Report, previous: Baseline | undefined, now: Date): Baseline {
  const metrics: { [name: string]: BaselineMetric } = {};
  for (const [name, metric] of [...reportMetrics(report)].sort(([a], [b]) => compareNames(a, b))) {
    metrics[name] = { ...metric, tolerance: previous?.metrics[name]?.tolerance ?? defaultTolerance(name, metric) };
  }
  return {
    baselineVersion: 1,
    profile: report.profile,
    createdAt: now.toISOString(),
    gitCommit: report.provenance.gitCommit,
    stageKeysDigest: report.provenance.stageKeysDigest,
    backend: report.provenance.backend,
    metrics,
  };
}

const baselineSchema = {
  type: "object",
  additionalProperties: false,
  required: ["baselineVersion", "profile", "createdAt", "gitCommit", "stageKeysDigest", "metrics"],
  properties: {
    baselineVersion: { const: 1 },
    profile: { type: "string", minLength: 1 },
    createdAt: { type: "string" },
    gitCommit: { type: ["string", "null"] },
    stageKeysDigest: { type: "string" },
    backend: { type: ["string", "null"] },
    metrics: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["value", "direction", "tolerance"],
        properties: {
          value: { type: "number" },
          direction: { enum: ["higher-is-better", "lower-is-better"] },
          tolerance: { type: "number", minimum: 0 },
        },
      },
    },
  },
} as const;

const validateBaseline = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(baselineSchema);

/** Reads and validates a baseline file; errors name the file and every invalid field. */
export function readBaseline(file: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`Invalid baseline ${file}: ${(error as Error).message}`);
  }
  if (!validateBaseline(data)) {
    const problems = (validateBaseline.errors ?? []).map((error) => `  ${error.instancePath || "/"}: ${error.message ?? "invalid"}`);
    throw new Error(`Invalid baseline ${file}:\n${problems.join("\n")}`);
  }
  return data as Baseline;
}

export type ComparisonStatus = "ok" | "worse" | "better" | "missing" | "new";

export interface ComparisonRow {
  name: string;
  baseline: number | null;
  current: number | null;
  /** current − baseline. */
  difference: number | null;
  tolerance: number | null;
  status: ComparisonStatus;
}

export interface Comparison {
  rows: ComparisonRow[];
  /** True when no metric is worse than its tolerance allows and none is missing. */
  passed: boolean;
}

/** Compares `current` with the baseline metric by metric. */
export function compareWithBaseline(baseline: Baseline, current: Map<string, Metric>): Comparison {
  const rows: ComparisonRow[] = [];
  for (const [name, expected] of Object.entries(baseline.metrics)) {
    const actual = current.get(name);
    if (actual === undefined) {
      rows.push({ name, baseline: expected.value, current: null, difference: null, tolerance: expected.tolerance, status: "missing" });
      continue;
    }
    const difference = actual.value - expected.value;
    const gain = expected.direction === "higher-is-better" ? difference : -difference;
    // A tiny epsilon keeps a move of exactly the tolerance, after floating-point rounding, within it.
    const epsilon = 1e-9 * Math.max(1, Math.abs(expected.value));
    let status: ComparisonStatus = "ok";
    if (gain < -(expected.tolerance + epsilon)) status = "worse";
    else if (gain > expected.tolerance + epsilon) status = "better";
    rows.push({ name, baseline: expected.value, current: actual.value, difference, tolerance: expected.tolerance, status });
  }
  for (const [name, actual] of current) {
    if (!(name in baseline.metrics)) {
      rows.push({ name, baseline: null, current: actual.value, difference: null, tolerance: null, status: "new" });
    }
  }
  return { rows, passed: rows.every((row) => row.status !== "worse" && row.status !== "missing") };
}

const statusOrder: ComparisonStatus[] = ["worse", "missing", "better", "new", "ok"];

function formatNumber(value: number | null, signed = false): string {
  if (value === null) return "—";
  const magnitude = Math.abs(value);
  // Exponents for very large values and for tiny nonzero differences, which fixed notation would show as 0.
  const exponential = magnitude >= 1000 || (magnitude > 0 && magnitude < 1e-4);
  const text = exponential ? value.toExponential(2) : value.toFixed(4).replace(/\.?0+$/, "") || "0";
  return signed && value > 0 ? `+${text}` : text;
}

/** Renders the comparison as an aligned text table, failures first, with a closing summary line. */
export function formatComparison(comparison: Comparison): string {
  const sorted = [...comparison.rows].sort(
    (a, b) => statusOrder.indexOf(a.status) - statusOrder.indexOf(b.status) || compareNames(a.name, b.name),
  );
  const header = ["status", "metric", "baseline", "current", "difference", "tolerance"];
  const body = sorted.map((row) => [
    row.status,
    row.name,
    formatNumber(row.baseline),
    formatNumber(row.current),
    formatNumber(row.difference, true),
    formatNumber(row.tolerance),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 1 || column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd();
  const counts = statusOrder.map((status) => `${comparison.rows.filter((row) => row.status === status).length} ${status}`);
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...body.map(line), "", `${comparison.passed ? "PASSED" : "FAILED"}: ${counts.join(", ")}`].join("\n");
}
