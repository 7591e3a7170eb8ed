// The whole `smoke` profile, end to end, through the real CLI: every stage kind runs in its trainer process, the
// report is written, and a second run reuses every stage.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(projectRoot, "dist/pipeline.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function pipeline(args: string[], environment: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...environment },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** Reads the `built N, cached N, failed N, skipped N (T stages)` summary line that `run` prints last. */
function runCounts(output: string): { built: number; cached: number; failed: number; skipped: number; total: number } {
  const match = /built (\d+), cached (\d+), failed (\d+), skipped (\d+) \((\d+) stages\)/.exec(output);
  if (match === null) throw new Error(`no run summary line in the output:\n${output.slice(-2000)}`);
  const [built, cached, failed, skipped, total] = match.slice(1).map(Number) as [number, number, number, number, number];
  return { built, cached, failed, skipped, total };
}

describe("smoke profile end to end", () => {
  let scratch = "";
  let environment: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "hypertune-smoke-"));
    environment = {
      HYPERTUNE_ARTIFACTS: path.join(scratch, "artifacts"),
      HYPERTUNE_REPORTS: path.join(scratch, "reports"),
    };
  });

  afterAll(async () => {
    if (scratch !== "") await rm(scratch, { recursive: true, force: true });
  });

  it("builds every stage and writes the report", async () => {
    const first = await pipeline(["run", "--profile", "smoke"], environment);
    const output = first.stdout + first.stderr;

    expect(first.code, output.slice(-3000)).toBe(0);
    const counts = runCounts(output);
    expect(counts.failed).toBe(0);
    expect(counts.skipped).toBe(0);
    expect(counts.built).toBe(counts.total);

    const report = JSON.parse(await readFile(path.join(scratch, "reports/smoke/report.json"), "utf8")) as {
      tables?: unknown[];
    };
    expect(Array.isArray(report.tables)).toBe(true);
    expect(report.tables?.length ?? 0).toBeGreaterThan(0);
    const markdown = await readFile(path.join(scratch, "reports/smoke/REPORT.md"), "utf8");
    expect(markdown).toContain("P3 held-out tasks");
  }, 900_000);

  it("reuses every stage on a second run", async () => {
    // The project copy of the report must be restored even though the report stage itself is cached.
    await rm(path.join(scratch, "reports/smoke"), { recursive: true, force: true });
    const second = await pipeline(["run", "--profile", "smoke"], environment);
    const output = second.stdout + second.stderr;

    expect(second.code, output.slice(-3000)).toBe(0);
    const counts = runCounts(output);
    expect(counts.built).toBe(0);
    expect(counts.cached).toBe(counts.total);
    const restored = await readFile(path.join(scratch, "reports/smoke/REPORT.md"), "utf8");
    expect(restored).toContain("P3 held-out tasks");
  }, 120_000);
});
