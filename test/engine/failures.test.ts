import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TestProject } from "./fixtures/project.js";

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function checkpointStep(file: string): number {
  try {
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { step: number }).step;
  } catch {
    return 0;
  }
}

describe("failures and recovery", () => {
  let project: TestProject;

  beforeEach(() => {
    project = new TestProject();
  });

  afterEach(() => project.remove());

  it("failed stage skips dependents only", async () => {
    project.writeProfile([
      { id: "a" },
      { id: "b", upstream: ["a"], fail: "the data is bad" },
      { id: "c", upstream: ["b"] },
      { id: "d", upstream: ["a"] },
    ]);

    const result = await project.command("run", ["--jobs", "1"]);

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/failed b in [\d.]+ s: the data is bad/);
    expect(result.stdout).toMatch(/skipped c: upstream b failed/);
    expect(result.stdout).toContain("about to fail on purpose");
    expect(result.stdout).toMatch(/built 2, cached 0, failed 1, skipped 1/);
    expect(project.runCounts()).toEqual({ a: 1, b: 1, d: 1 });
    expect(project.entryDirs("b")).toEqual([]);
  });

  it("killed trainer reports its stderr tail", async () => {
    project.writeProfile([{ id: "a", crash: true }]);

    const result = await project.command("run");

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/failed a in [\d.]+ s: trainer process was killed by SIGKILL/);
    expect(result.stdout).toMatch(/last lines of its stderr:\n\s+allocating a very large tensor/);
    expect(project.entryDirs("a")).toEqual([]);
  });

  it("kill -9 mid-run resumes from the checkpoint", async () => {
    project.writeProfile([{ id: "a" }, { id: "train", upstream: ["a"], steps: 40, stepMs: 100 }]);
    const run = project.start("run");
    const workRoot = path.join(project.artifacts, ".work", "train");
    const checkpoint = (): string | undefined => {
      const keys = fs.existsSync(workRoot) ? fs.readdirSync(workRoot) : [];
      return keys.length === 1 ? path.join(workRoot, keys[0]!, "checkpoint.json") : undefined;
    };
    await waitFor(() => checkpointStep(checkpoint() ?? "") >= 5, 60_000);

    // The whole process group: the pipeline and its trainer, as a killed job would lose them.
    process.kill(-run.pid!, "SIGKILL");
    await run;
    const stepAtKill = checkpointStep(checkpoint()!);
    expect(project.entryDirs("a")).toHaveLength(1);
    expect(project.entryDirs("train")).toEqual([]);

    const rerun = await project.command("run");
    expect(rerun.exitCode, rerun.stdout + rerun.stderr).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, train: 2 });
    const resumes = project.runLines().filter((line) => line.startsWith("train resume-from"));
    expect(resumes[0]).toBe("train resume-from 0");
    const resumedFrom = Number(resumes[1]!.split(" ").at(-1));
    expect(resumedFrom).toBeGreaterThanOrEqual(stepAtKill);
    expect(resumedFrom).toBeGreaterThanOrEqual(5);
    expect(fs.existsSync(path.join(workRoot, path.basename(project.entryDirs("train")[0]!)))).toBe(false);

    // The published log keeps the events of both attempts, in order.
    const log = fs.readFileSync(path.join(project.entryDirs("train")[0]!, "log.jsonl"), "utf8");
    const types = log.split("\n").filter((line) => line !== "").map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types.filter((type) => type === "started")).toHaveLength(2);
    expect(types.at(-1)).toBe("done");
    expect(types).toContain("checkpoint");
    expect(types).toContain("metric");
  });

  it("orphaned trainer stops and keeps the lock", async () => {
    // Steps long enough that the orphan is mid-step, and writes one more checkpoint, when the rerun starts.
    project.writeProfile([{ id: "train", steps: 6, stepMs: 800 }]);
    const run = project.start("run");
    const workRoot = path.join(project.artifacts, ".work", "train");
    const lockRoot = path.join(project.artifacts, ".locks", "train");
    const checkpoint = (): string => {
      const keys = fs.existsSync(workRoot) ? fs.readdirSync(workRoot) : [];
      return keys.length === 1 ? path.join(workRoot, keys[0]!, "checkpoint.json") : "";
    };
    await waitFor(() => checkpointStep(checkpoint()) >= 2, 60_000);
    const lockFile = path.join(lockRoot, fs.readdirSync(lockRoot).find((name) => name.endsWith(".lock"))!);
    const trainerPid = (JSON.parse(fs.readFileSync(lockFile, "utf8")) as { trainerPid?: number }).trainerPid;
    expect(trainerPid).toBeTypeOf("number");

    // Only the pipeline process dies; its trainer is orphaned.
    process.kill(run.pid!, "SIGKILL");
    await run;
    const rerun = await project.command("run");

    expect(rerun.exitCode, rerun.stdout + rerun.stderr).toBe(0);
    expect(() => process.kill(trainerPid!, 0)).toThrow();
    // The rerun's trainer started after the orphan's last checkpoint, so it resumed from exactly that step.
    const lines = project.runLines();
    const secondStart = lines.lastIndexOf(lines.filter((line) => line.startsWith("train resume-from")).at(-1)!);
    const steps = (part: string[]): number[] =>
      part.filter((line) => line.startsWith("train checkpoint")).map((line) => Number(line.split(" ").at(-1)));
    const before = steps(lines.slice(0, secondStart));
    const after = steps(lines.slice(secondStart));
    const resumedFrom = Number(lines[secondStart]!.split(" ").at(-1));
    expect(resumedFrom).toBeGreaterThanOrEqual(2);
    expect(resumedFrom).toBe(Math.max(...before));
    expect(after).toEqual(Array.from({ length: 6 - resumedFrom }, (_, index) => resumedFrom + 1 + index));
  });

  it("SIGINT stops the trainer and keeps its checkpoint", async () => {
    project.writeProfile([{ id: "train", steps: 40, stepMs: 100 }, { id: "after", upstream: ["train"] }]);
    const run = project.start("run");
    const workRoot = path.join(project.artifacts, ".work", "train");
    const checkpoint = (): string => {
      const keys = fs.existsSync(workRoot) ? fs.readdirSync(workRoot) : [];
      return keys.length === 1 ? path.join(workRoot, keys[0]!, "checkpoint.json") : "";
    };
    await waitFor(() => checkpointStep(checkpoint()) >= 3, 60_000);

    process.kill(run.pid!, "SIGINT");
    const stopped = await run;

    expect(stopped.exitCode).toBe(130);
    expect(String(stopped.stdout)).toMatch(/cancelled train/);
    expect(String(stopped.stdout)).toMatch(/cancelled after: the run was stopped/);
    expect(project.entryDirs("train")).toEqual([]);
    expect(fs.readdirSync(path.join(project.artifacts, ".tmp", "train"))).toEqual([]);
    expect(checkpointStep(checkpoint())).toBeGreaterThanOrEqual(3);
  });

  it("second SIGINT kills busy trainer", async () => {
    // 40 steps of 200 ms that never yield: the trainer cannot react to SIGTERM for 8 seconds.
    project.writeProfile([{ id: "train", steps: 40, stepMs: 200, busy: true }]);
    const run = project.start("run");
    const workRoot = path.join(project.artifacts, ".work", "train");
    const lockRoot = path.join(project.artifacts, ".locks", "train");
    const checkpoint = (): string => {
      const keys = fs.existsSync(workRoot) ? fs.readdirSync(workRoot) : [];
      return keys.length === 1 ? path.join(workRoot, keys[0]!, "checkpoint.json") : "";
    };
    await waitFor(() => checkpointStep(checkpoint()) >= 1, 60_000);
    const lockFile = path.join(lockRoot, fs.readdirSync(lockRoot).find((name) => name.endsWith(".lock"))!);
    const trainerPid = (JSON.parse(fs.readFileSync(lockFile, "utf8")) as { trainerPid?: number }).trainerPid;
    expect(trainerPid).toBeTypeOf("number");

    process.kill(run.pid!, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(run.pid!, "SIGINT");
    const stopped = await run;

    expect(stopped.exitCode).toBe(130);
    expect(String(stopped.stderr)).toMatch(/SIGINT again: killed 1 trainer process/);
    await waitFor(() => !processExists(trainerPid!), 2_000);
    expect(fs.existsSync(lockFile)).toBe(false);
    const stepAfterExit = checkpointStep(checkpoint());
    expect(stepAfterExit).toBeLessThan(40);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(checkpointStep(checkpoint())).toBe(stepAfterExit);
  });

  it("corrupt output is detected and rebuilt", async () => {
    project.writeProfile([{ id: "a" }, { id: "b", upstream: ["a"] }]);
    expect((await project.command("run")).exitCode).toBe(0);
    const output = path.join(project.entryDirs("a")[0]!, "out.txt");
    fs.appendFileSync(output, "flipped bits");

    const plan = await project.command("plan");
    expect(plan.stdout).toMatch(/stale\s+a\s+its cached entry is damaged/);

    const rerun = await project.command("run");
    expect(rerun.exitCode).toBe(0);
    expect(rerun.stdout).toContain(`invalid cache entry of a`);
    expect(rerun.stdout).toContain("out.txt has");
    // The rebuilt output is identical to the original, so b stays cached.
    expect(project.runCounts()).toEqual({ a: 2, b: 1 });
    expect(fs.readFileSync(output, "utf8")).not.toContain("flipped bits");
  });

  it("entry without a manifest counts as absent", async () => {
    project.writeProfile([{ id: "a" }]);
    expect((await project.command("run")).exitCode).toBe(0);
    fs.rmSync(path.join(project.entryDirs("a")[0]!, "manifest.json"));

    const rerun = await project.command("run");

    expect(rerun.exitCode).toBe(0);
    expect(rerun.stdout).toMatch(/manifest.json is missing/);
    expect(project.runCounts()).toEqual({ a: 2 });
  });
});
