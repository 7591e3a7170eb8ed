/**
 * Building a report from the published folders of the upstream stages, and writing it: `report.json` (checked
 * against the schema first), `REPORT.md` and one SVG per figure.
 */
import fs from "node:fs";
import path from "node:path";
import type { EvalSummary, PeftSummary } from "../experiments/results.js";
import { hyperpretrainVariantTable, metaiclTable, p3Table, sniTable } from "./eval-tables.js";
import { readStageGraph, type StageRecord } from "./manifests.js";
import { renderMarkdown } from "./markdown.js";
import type { Report, TrainingRow } from "./model.js";
import type { ReferenceModel } from "./paper-reference.js";
import { peftInitFullTable, peftInitTable } from "./peft-tables.js";
import { hyperInitPlots, hyperpretrainStepPlots } from "./plots.js";
import { buildProvenance } from "./provenance.js";
import { validateReport } from "./schema.js";
import { renderLineChart } from "./svg-plot.js";

export const reportFileName = "REPORT.md";
export const reportJsonFileName = "report.json";

/** Maps a profile to its model in HyperTuning (Phang et al., 2022); only the Hugging Face checkpoints have published numbers. */
export function referenceModelFor(profile: string): ReferenceModel | null {
  return profile === "t5-large" || profile === "t5-xl" ? profile : null;
}

function trainingRows(stages: StageRecord[]): TrainingRow[] {
  const rows: TrainingRow[] = [];
  for (const stage of stages) {
    const result = stage.result;
    if (result?.kind === "pretrain" || result?.kind === "mtf") {
      rows.push({
        stage: stage.id,
        kind: result.kind,
        steps: result.steps,
        finalLoss: result.finalLoss,
        estimatedFlops: result.estimatedFlops,
        wallSeconds: result.wallSeconds,
        detail: null,
      });
    } else if (result?.kind === "hyperpretrain") {
      rows.push({
        stage: stage.id,
        kind: result.kind,
        steps: result.steps,
        finalLoss: result.finalLoss,
        estimatedFlops: result.estimatedFlops ?? null,
        wallSeconds: result.wallSeconds ?? stage.wallSeconds,
        detail: `${result.hypermodel}, ${result.variant}`,
      });
    }
  }
  return rows;
}

export interface BuildOptions {
  profile: string;
  /** Published folder of every upstream stage, by stage id. */
  inputs: { [stageId: string]: string };
  projectRoot: string;
  /** Digest of the resolved profile; without it, the digest of `profiles/<profile>.json` is recorded. */
  profileDigest?: string;
  /** Start of the pipeline run (ISO 8601), to tell cache hits from stages built in this run. */
  runStartedAt?: string;
  /** Backend to record when no manifest names one. */
  fallbackBackend?: string | null;
  now?: Date;
}

/** Reads every upstream manifest and assembles the report. */
export async function buildReport(options: BuildOptions): Promise<Report> {
  const graph = await readStageGraph(options.inputs);
  const results = graph.inputs.map((stage) => stage.result);
  const evals = results.filter((result): result is EvalSummary => result?.kind === "eval");
  const peft = results.filter((result): result is PeftSummary => result?.kind === "peft");
  const referenceModel = referenceModelFor(options.profile);
  return {
    schemaVersion: 1,
    profile: options.profile,
    referenceModel,
    provenance: buildProvenance({
      projectRoot: options.projectRoot,
      profile: options.profile,
      profileDigest: options.profileDigest,
      stages: graph.all,
      unresolvedStages: graph.unresolved,
      runStartedAt: options.runStartedAt,
      fallbackBackend: options.fallbackBackend ?? null,
      now: options.now ?? new Date(),
    }),
    tables: [
      p3Table(evals, referenceModel),
      metaiclTable(evals, referenceModel),
      sniTable(evals, referenceModel),
      peftInitTable(peft, referenceModel),
      hyperpretrainVariantTable(evals, referenceModel),
      peftInitFullTable(peft, referenceModel),
    ],
    plots: [...hyperInitPlots(peft), ...hyperpretrainStepPlots(evals)],
    training: trainingRows(graph.all),
  };
}

/** Validates `report` and writes `report.json`, `REPORT.md` and the SVG figures into `folder`. */
export function writeReport(report: Report, folder: string): string[] {
  validateReport(report, path.join(folder, reportJsonFileName));
  fs.mkdirSync(folder, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string): void => {
    fs.writeFileSync(path.join(folder, name), text);
    written.push(name);
  };
  write(reportJsonFileName, JSON.stringify(report, null, 2) + "\n");
  write(reportFileName, renderMarkdown(report) + "\n");
  for (const plot of report.plots) write(plot.file, renderLineChart(plot));
  return written;
}

/**
 * Replaces the report files in `target` with those of `source` (REPORT.md, report.json and the SVGs it names).
 * SVG files of an earlier report that the new one no longer names are removed; other files are left alone.
 */
export function copyReport(source: string, target: string): void {
  const report: unknown = JSON.parse(fs.readFileSync(path.join(source, reportJsonFileName), "utf8"));
  validateReport(report, path.join(source, reportJsonFileName));
  fs.mkdirSync(target, { recursive: true });
  const names = [reportJsonFileName, reportFileName, ...report.plots.map((plot) => plot.file)];
  for (const name of fs.readdirSync(target)) {
    if (name.endsWith(".svg") && !names.includes(name)) fs.rmSync(path.join(target, name));
  }
  for (const name of names) fs.copyFileSync(path.join(source, name), path.join(target, name));
}
