import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildReport, writeReport } from "../../src/report/build.js";
import type { Report } from "../../src/report/model.js";
import {
  baselineFromReport,
  compareWithBaseline,
  formatComparison,
  reportMetrics,
  type Baseline,
  type Metric,
} from "../../src/report/regression.js";
import { evalSummary, temporaryFolder, writeEntry, writeInputs } from "./artifact-fixtures.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const folders: string[] = [];

function scratch(prefix: string): string {
  const folder = temporaryFolder(prefix);
  folders.push(folder);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function baselineOf(metrics: Baseline["metrics"]): Baseline {
  return { baselineVersion: 1, profile: "smoke", createdAt: "2026-01-01T00:00:00.000Z", gitCommit: null, stageKeysDigest: "0".repeat(64), metrics };
}

const score = "p3: HyperT5-Prefix [average]";
const loss = "training: hyperpretrain/hyper-prefix [finalLoss]";
const baseline = baselineOf({
  [score]: { value: 50, direction: "higher-is-better", tolerance: 2 },
  [loss]: { value: 3, direction: "lower-is-better", tolerance: 0.15 },
});

function current(scoreValue: number, lossValue: number): Map<string, Metric> {
  return new Map<string, Metric>([
    [score, { value: scoreValue, direction: "higher-is-better" }],
    [loss, { value: lossValue, direction: "lower-is-better" }],
  ]);
}

describe("regression comparison", () => {
  it("flags a score drop beyond tolerance", () => {
    const comparison = compareWithBaseline(baseline, current(47.5, 3));
    expect(comparison.passed).toBe(false);
    expect(comparison.rows.find((row) => row.name === score)).toMatchObject({ status: "worse", difference: -2.5 });
  });

  it("passes a drop within tolerance", () => {
    const comparison = compareWithBaseline(baseline, current(48, 3.15));
    expect(comparison.passed).toBe(true);
    expect(comparison.rows.map((row) => row.status)).toEqual(["ok", "ok"]);
  });

  it("flags a loss rise beyond tolerance", () => {
    const comparison = compareWithBaseline(baseline, current(50, 3.2));
    expect(comparison.passed).toBe(false);
    expect(comparison.rows.find((row) => row.name === loss)?.status).toBe("worse");
  });

  it("passes improvements and new metrics", () => {
    const metrics = current(60, 2);
    metrics.set("p3: HyperT5-LoRA [average]", { value: 10, direction: "higher-is-better" });
    const comparison = compareWithBaseline(baseline, metrics);
    expect(comparison.passed).toBe(true);
    expect(comparison.rows.map((row) => row.status)).toEqual(["better", "better", "new"]);
  });

  it("fails a missing metric", () => {
    const comparison = compareWithBaseline(baseline, new Map([[score, { value: 50, direction: "higher-is-better" }]]));
    expect(comparison.passed).toBe(false);
    expect(comparison.rows.find((row) => row.name === loss)?.status).toBe("missing");
    const table = formatComparison(comparison);
    expect(table.split("\n")[2]).toMatch(/^missing\s+training: hyperpretrain\/hyper-prefix \[finalLoss\]\s+3\s+—/);
    expect(table).toContain("FAILED: 0 worse, 1 missing, 0 better, 0 new, 1 ok");
  });
});

async function smokeReport(artifacts: string, base: number): Promise<Report> {
  const inputs = writeInputs(artifacts, [evalSummary("p3", "hyper-prefix", ["anli", "copa"], (index) => base + 2 * index)]);
  inputs["hyperpretrain/hyper-prefix"] = writeEntry(artifacts, {
    stageId: "hyperpretrain/hyper-prefix",
    kind: "hyperpretrain",
    summary: { kind: "hyperpretrain", hypermodel: "hyper-prefix", variant: "prefix-and-suffix", steps: 4, finalLoss: 4, checkpointSteps: [2] },
  });
  return buildReport({ profile: "smoke", inputs, projectRoot });
}

describe("baseline", () => {
  it("declares default tolerances per metric", async () => {
    const report = await smokeReport(scratch("regression"), 40);
    const written = baselineFromReport(report, undefined, new Date("2026-02-02T00:00:00Z"));
    expect(written.metrics["p3: HyperT5-Prefix [average]"]).toEqual({ value: 41, direction: "higher-is-better", tolerance: 2 });
    expect(written.metrics["p3: HyperT5-Prefix [anli]"]).toEqual({ value: 40, direction: "higher-is-better", tolerance: 5 });
    expect(written.metrics["training: hyperpretrain/hyper-prefix [finalLoss]"]).toEqual({ value: 4, direction: "lower-is-better", tolerance: 0.2 });
    expect(Object.keys(written.metrics)).toHaveLength(reportMetrics(report).size);
    // The fixtures record the cpu backend in every manifest.
    expect(written.backend).toBe("cpu");
  });

  it("keeps tolerances already declared", async () => {
    const report = await smokeReport(scratch("regression"), 40);
    const previous = baselineOf({ "p3: HyperT5-Prefix [average]": { value: 1, direction: "higher-is-better", tolerance: 0.5 } });
    const written = baselineFromReport(report, previous, new Date());
    expect(written.metrics["p3: HyperT5-Prefix [average]"]).toEqual({ value: 41, direction: "higher-is-better", tolerance: 0.5 });
  });
});

describe("regression command", () => {
  const script = path.join(projectRoot, "dist", "scripts", "regression.js");

  /** Publishes `report` as a `report` stage entry of profile smoke, as the pipeline would. */
  function publishReportEntry(artifacts: string, report: Report, finished: string): void {
    const files = scratch("regression-report");
    const names = writeReport(report, files);
    writeEntry(artifacts, {
      stageId: "report",
      kind: "report",
      params: { profile: "smoke" },
      summary: { profile: "smoke", builtAt: finished },
      files: Object.fromEntries(names.map((name) => [name, fs.readFileSync(path.join(files, name), "utf8")])),
      finished,
    });
  }

  function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [script, "--skip-run", ...args], { encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("compares the newest smoke report with the baseline", async () => {
    expect(fs.existsSync(script), `${script} missing: run npm run build`).toBe(true);
    const artifacts = scratch("regression-artifacts");
    const baselineFile = path.join(scratch("regression-baseline"), "smoke.json");
    const reportDir = scratch("regression-copy");
    const common = ["--artifacts", artifacts, "--baseline", baselineFile, "--report-dir", reportDir];
    publishReportEntry(artifacts, await smokeReport(scratch("regression-inputs"), 40), "2026-01-01T10:00:00.000Z");

    const update = run([...common, "--update-baseline"]);
    expect(update.stderr).toBe("");
    expect(update.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(baselineFile, "utf8")).metrics["p3: HyperT5-Prefix [average]"].value).toBe(41);
    expect(fs.existsSync(path.join(reportDir, "REPORT.md"))).toBe(true);

    // A newer report 1.5 points lower on average stays within the 2-point tolerance.
    publishReportEntry(artifacts, await smokeReport(scratch("regression-inputs"), 38.5), "2026-01-02T10:00:00.000Z");
    const within = run(common);
    expect(within.status).toBe(0);
    expect(within.stdout).toContain("PASSED");

    // 3 points lower is a regression.
    publishReportEntry(artifacts, await smokeReport(scratch("regression-inputs"), 37), "2026-01-03T10:00:00.000Z");
    const worse = run(common);
    expect(worse.status).toBe(1);
    expect(worse.stdout).toMatch(/^worse\s+p3: HyperT5-Prefix \[average\]\s+41\s+38\s+-3\s+2$/m);
    expect(worse.stdout).toContain("FAILED");

    // A broken baseline file is an error of the check itself (exit code 2), not a regression.
    fs.writeFileSync(baselineFile, "{ not json");
    const broken = run(common);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain(`Invalid baseline ${baselineFile}`);
  });

  it("reports a missing baseline", () => {
    const artifacts = scratch("regression-artifacts");
    const result = run(["--artifacts", artifacts, "--baseline", path.join(artifacts, "none.json")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no report of profile "smoke" found');
  });
});

describe("comparison table", () => {
  it("shows tiny differences in exponent form", () => {
    const comparison = compareWithBaseline(baseline, current(50, 3.0000125));
    const lossLine = formatComparison(comparison).split("\n").find((line) => line.includes("[finalLoss]"))!;
    expect(lossLine).toMatch(/\s3\s+3\s+\+1\.25e-5\s+0\.15$/);
  });
});
