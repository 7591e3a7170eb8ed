import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StageContext, StageEvent } from "../../src/engine/stage.js";
import report from "../../stages/report.js";
import { evalSummary, temporaryFolder, writeInputs } from "./artifact-fixtures.js";

const folders: string[] = [];
const savedReportsRoot = process.env.HYPERTUNE_REPORTS;
const savedRunStarted = process.env.HYPERTUNE_RUN_STARTED;

function scratch(prefix: string): string {
  const folder = temporaryFolder(prefix);
  folders.push(folder);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
  if (savedReportsRoot === undefined) delete process.env.HYPERTUNE_REPORTS;
  else process.env.HYPERTUNE_REPORTS = savedReportsRoot;
  if (savedRunStarted === undefined) delete process.env.HYPERTUNE_RUN_STARTED;
  else process.env.HYPERTUNE_RUN_STARTED = savedRunStarted;
});

function context(inputs: { [stageId: string]: string }, params: StageContext["stage"]["params"], events: unknown[]): StageContext {
  return {
    stage: { id: "report", kind: "report", params, upstream: Object.keys(inputs), code: [], resource: "cpu" },
    outputDir: scratch("stage-out"),
    workDir: scratch("stage-work"),
    inputs,
    emit: (event) => events.push(event as StageEvent),
    signal: new AbortController().signal,
  };
}

describe("report stage", () => {
  it("writes the report and its project copy", async () => {
    const reportsRoot = scratch("stage-reports");
    process.env.HYPERTUNE_REPORTS = reportsRoot;
    delete process.env.HYPERTUNE_RUN_STARTED;
    const inputs = writeInputs(scratch("stage-artifacts"), [
      evalSummary("p3", "t5-mtf", ["anli", "copa"], (index) => 25 + index),
      evalSummary("p3", "hyper-lora", ["anli", "copa"], (index) => 30 + index, { hyperpretrainSteps: 2 }),
      evalSummary("p3", "hyper-lora", ["anli", "copa"], (index) => 35 + index, { hyperpretrainSteps: 4 }),
    ]);
    // A figure left by an earlier report that this one no longer draws.
    fs.mkdirSync(path.join(reportsRoot, "smoke"));
    fs.writeFileSync(path.join(reportsRoot, "smoke", "hyper-init-lora.svg"), "<svg/>");
    const events: unknown[] = [];
    const stage = context(inputs, { profile: "smoke" }, events);
    const summary = await report.run(stage);

    const files = ["report.json", "REPORT.md", "hyperpretrain-steps-p3.svg"];
    expect(summary.files).toEqual(files);
    // T5-MTF and HyperT5-LoRA (its 4-step run) fill two tasks and AVG each.
    expect(summary.filledCells).toBe(6);
    for (const file of files) {
      expect(fs.readFileSync(path.join(reportsRoot, "smoke", file), "utf8")).toBe(fs.readFileSync(path.join(stage.outputDir, file), "utf8"));
    }
    expect(fs.readdirSync(path.join(reportsRoot, "smoke")).sort()).toEqual([...files].sort());
    // No run start time in the environment: cache hits are unknown.
    expect(JSON.parse(fs.readFileSync(path.join(stage.outputDir, "report.json"), "utf8")).provenance.cacheHits).toBeNull();
    expect(events).toContainEqual({ type: "log", level: "info", message: `Report written to ${path.join(reportsRoot, "smoke", "REPORT.md")}` });
  });

  it("rejects a missing profile parameter", async () => {
    await expect(report.run(context({}, {}, []))).rejects.toThrow('params.profile is undefined, expected the profile name');
  });

  it("counts stages published before the run as cache hits", async () => {
    process.env.HYPERTUNE_REPORTS = scratch("stage-reports");
    const inputs = writeInputs(scratch("stage-artifacts"), [evalSummary("p3", "t5-mtf", ["anli"], () => 25)]);
    // The fixture entries finished on 2026-01-01T10:00:30Z.
    process.env.HYPERTUNE_RUN_STARTED = "2026-01-01T11:00:00.000Z";
    const first = context(inputs, { profile: "smoke" }, []);
    await report.run(first);
    expect(JSON.parse(fs.readFileSync(path.join(first.outputDir, "report.json"), "utf8")).provenance.cacheHits).toBe(1);

    process.env.HYPERTUNE_RUN_STARTED = "2026-01-01T09:00:00.000Z";
    const second = context(inputs, { profile: "smoke" }, []);
    await report.run(second);
    expect(JSON.parse(fs.readFileSync(path.join(second.outputDir, "report.json"), "utf8")).provenance.cacheHits).toBe(0);
  });
});
