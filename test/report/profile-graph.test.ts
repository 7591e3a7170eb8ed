/**
 * The report against the real stage graphs: every upstream stage of the `report` stage of a profile, given a
 * summary shaped from its parameters, lands in a table cell, a figure or the training table. PEFT runs are
 * averaged over seeds, so for them the check is that their method, initialization and task has a cell.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JsonValue, StageDefinition, StageSummary } from "../../src/engine/stage.js";
import type { EvalSummary, PeftSummary } from "../../src/experiments/results.js";
import { buildReport } from "../../src/report/build.js";
import type { Report } from "../../src/report/model.js";
import { resolvePipeline, type Profile } from "../../stages/index.js";
import { evalSummary, peftSummary, temporaryFolder, writeEntry } from "./artifact-fixtures.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

async function reportStage(profileName: string): Promise<{ report: StageDefinition; stages: Map<string, StageDefinition> }> {
  const profile = JSON.parse(fs.readFileSync(path.join(projectRoot, "profiles", `${profileName}.json`), "utf8")) as Profile;
  const { stages } = await resolvePipeline(profile, { projectRoot });
  const report = stages.find((stage) => stage.kind === "report");
  if (report === undefined) throw new Error(`profile ${profileName} has no report stage`);
  return { report, stages: new Map(stages.map((stage) => [stage.id, stage])) };
}

/** A distinct score per stage, so each cell can be traced back to the stage it came from. */
function summaryFor(stage: StageDefinition, index: number): StageSummary {
  const params = stage.params as { [key: string]: JsonValue };
  const score = 10 + index / 8;
  if (stage.kind === "eval") {
    const extra: Partial<EvalSummary> = {};
    if (typeof params.hyperpretrainSteps === "number") extra.hyperpretrainSteps = params.hyperpretrainSteps;
    if (params.hyperpretrainVariant === "prefix-only" || params.hyperpretrainVariant === "prefix-and-suffix") {
      extra.hyperpretrainVariant = params.hyperpretrainVariant;
    }
    const dataset = params.dataset as EvalSummary["dataset"];
    return evalSummary(dataset, params.method as EvalSummary["method"], ["task_a", "task_b"], () => score, extra) as unknown as StageSummary;
  }
  if (stage.kind === "peft") {
    const summary: PeftSummary = peftSummary(
      params.task as string,
      params.method as PeftSummary["method"],
      params.init as PeftSummary["init"],
      params.learningRate as number,
      params.seed as number,
      score - 5,
      score,
    );
    return summary as unknown as StageSummary;
  }
  return {
    kind: "hyperpretrain",
    hypermodel: params.hypermodel ?? "hyper-prefix",
    variant: params.variant ?? "prefix-and-suffix",
    steps: 4,
    finalLoss: score,
    checkpointSteps: [2, 4],
  } as StageSummary;
}

const peftLabels: { [method: string]: string } = { "prefix-flat": "Prefix-Flat", "prefix-mlp": "Prefix-MLP", lora: "LoRA" };
const initLabels: { [init: string]: string } = { random: "Rand Init", shared: "Shared Init", hyper: "Hyper Init" };

function numbersIn(report: Report): Set<number> {
  const numbers = new Set<number>();
  for (const table of report.tables) {
    for (const row of table.rows) for (const value of Object.values(row.cells ?? {})) if (value !== null) numbers.add(value);
  }
  for (const plot of report.plots) for (const series of plot.series) for (const point of series.points) numbers.add(point.y);
  for (const row of report.training) numbers.add(row.finalLoss);
  return numbers;
}

describe.each(["smoke", "t5-large"])("report of the %s graph", (profileName) => {
  it("places every upstream result", async () => {
    const { report: reportDefinition, stages } = await reportStage(profileName);
    const artifacts = temporaryFolder("profile-graph");
    folders.push(artifacts);
    const inputs: { [stageId: string]: string } = {};
    const expected = new Map<string, number>();
    const peftCells: { stageId: string; row: string; task: string }[] = [];
    reportDefinition.upstream.forEach((stageId, index) => {
      const stage = stages.get(stageId)!;
      const summary = summaryFor(stage, index);
      if (stage.kind === "eval") expected.set(stageId, summary.average as number);
      else if (stage.kind === "hyperpretrain") expected.set(stageId, summary.finalLoss as number);
      else peftCells.push({ stageId, row: `${peftLabels[summary.method as string]} (${initLabels[summary.init as string]})`, task: summary.task as string });
      inputs[stageId] = writeEntry(artifacts, { stageId, kind: stage.kind, summary, params: stage.params });
    });

    const report = await buildReport({ profile: String(reportDefinition.params.profile), inputs, projectRoot });
    const placed = numbersIn(report);
    const unplaced = [...expected].filter(([, value]) => !placed.has(value)).map(([stageId]) => stageId);
    expect(unplaced).toEqual([]);

    const peftTable = report.tables.find((table) => table.paperTable === 9)!;
    const emptyPeftCells = peftCells.filter((cell) => {
      const row = peftTable.rows.find((candidate) => candidate.label === cell.row);
      return row?.cells?.[cell.task] === null || row?.cells?.[cell.task] === undefined;
    });
    expect(emptyPeftCells.map((cell) => cell.stageId)).toEqual([]);
  });
});
