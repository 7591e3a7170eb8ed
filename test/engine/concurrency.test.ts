import { execa } from "execa";
import { getEventListeners } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, inspectLock } from "../../src/engine/lock.js";
import { TestProject } from "./fixtures/project.js";

describe("concurrent pipelines", () => {
  let project: TestProject;

  beforeEach(() => {
    project = new TestProject();
  });

  afterEach(() => project.remove());

  it("two concurrent runs build each stage once", async () => {
    project.writeProfile([
      { id: "a", steps: 3, stepMs: 100 },
      { id: "b", upstream: ["a"], steps: 3, stepMs: 100 },
      { id: "c", upstream: ["a"], steps: 3, stepMs: 100 },
      { id: "d", upstream: ["b", "c"] },
    ]);

    const [first, second] = await Promise.all([project.command("run"), project.command("run")]);

    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 1, c: 1, d: 1 });
    for (const id of ["a", "b", "c", "d"]) expect(project.entryDirs(id)).toHaveLength(1);
    const plan = await project.command("plan");
    expect(plan.stdout).toMatch(/4 stages: 4 cached, 0 stale/);
  });

  it("GPU stages share the visible GPUs", async () => {
    project.writeProfile([
      { id: "g1", resource: "gpu", steps: 3, stepMs: 100 },
      { id: "g2", resource: "gpu", steps: 3, stepMs: 100 },
    ]);

    const result = await project.command("run", ["--jobs", "2", "--gpus", "1"]);

    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const spans = project
      .runLines()
      .filter((line) => line.includes(" gpu "))
      .map((line) => line.split(" "))
      .map(([id, , devices, start, end]) => ({ id, devices, start: Number(start), end: Number(end) }));
    expect(spans).toHaveLength(2);
    expect(spans.map((span) => span.devices)).toEqual(["0", "0"]);
    const [earlier, later] = spans.sort((x, y) => x.start - y.start);
    expect(later!.start).toBeGreaterThanOrEqual(earlier!.end);
  });
});

describe("GPU assignment", () => {
  let project: TestProject;

  beforeEach(() => {
    project = new TestProject();
  });

  afterEach(() => project.remove());

  it("inherited CUDA_VISIBLE_DEVICES is split among stages", async () => {
    project.writeProfile([
      { id: "g1", resource: "gpu", steps: 3, stepMs: 100 },
      { id: "g2", resource: "gpu", steps: 3, stepMs: 100 },
      { id: "cpu" },
    ]);

    const result = await project.command("run", ["--jobs", "3"], { CUDA_VISIBLE_DEVICES: "3,5" });

    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const devices = project
      .runLines()
      .filter((line) => line.includes(" gpu "))
      .map((line) => line.split(" ")[2])
      .sort();
    expect(devices).toEqual(["3", "5"]);
  });
});

describe("build lock", () => {
  let folder: string;

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "hypertune-lock-"));
  });

  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("second holder waits for the first", async () => {
    const file = path.join(folder, "key.lock");
    const first = await acquireLock(file);
    let secondHeld = false;
    let waitedFor = "";
    const second = acquireLock(file, { onWait: (holder) => (waitedFor = holder) }).then((lock) => {
      secondHeld = true;
      return lock;
    });

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondHeld).toBe(false);
    expect(waitedFor).toContain(`pid ${process.pid}`);
    await first.release();
    const lock = await second;
    expect(lock.stillHeld()).toBe(true);
    await lock.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it("lock of a dead process is recovered", async () => {
    const file = path.join(folder, "key.lock");
    const dead = await execa(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const owner = { pid: Number(dead.stdout), host: os.hostname(), token: "left-by-a-killed-run", since: new Date().toISOString() };
    fs.writeFileSync(file, JSON.stringify(owner));

    const started = Date.now();
    const lock = await acquireLock(file);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("lock wait removes abort listeners", async () => {
    const file = path.join(folder, "key.lock");
    const first = await acquireLock(file);
    const controller = new AbortController();
    const second = acquireLock(file, { signal: controller.signal });

    // About five polls (50, 100, 200 and 400 ms apart) happen in this time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(getEventListeners(controller.signal, "abort").length).toBeLessThanOrEqual(1);
    controller.abort(new Error("test over"));
    await expect(second).rejects.toThrow("test over");
    await first.release();
  });

  it("wait message names the orphaned trainer", async () => {
    const file = path.join(folder, "key.lock");
    const dead = await execa(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    // The pipeline that took the lock is dead, but its trainer (this test process) still runs.
    const owner = { pid: Number(dead.stdout), host: os.hostname(), token: "orphan", since: new Date().toISOString(), trainerPid: process.pid };
    fs.writeFileSync(file, JSON.stringify(owner));
    let waitedFor = "";
    const controller = new AbortController();
    const waiting = acquireLock(file, { signal: controller.signal, onWait: (holder) => (waitedFor = holder) });

    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort(new Error("test over"));
    await expect(waiting).rejects.toThrow("test over");
    expect(waitedFor).toContain(`trainer pid ${process.pid} left running by pipeline pid ${owner.pid}, which has exited`);
    expect(inspectLock(file)).toEqual({ state: "live", holder: expect.stringContaining(`trainer pid ${process.pid}`) as unknown });
  });

  it("dead holder lock inspects stale", async () => {
    const file = path.join(folder, "key.lock");
    const dead = await execa(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    fs.writeFileSync(file, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), token: "dead", since: new Date().toISOString() }));

    const state = inspectLock(file);

    expect(state.state).toBe("stale");
    expect(state.state !== "absent" && state.holder).toContain(`pipeline pid ${dead.stdout}, which has exited`);
    expect(inspectLock(path.join(folder, "none.lock"))).toEqual({ state: "absent" });
  });

  it("lock with an old heartbeat is recovered", async () => {
    const file = path.join(folder, "key.lock");
    const owner = { pid: 1, host: "another-host", token: "remote", since: "2020-01-01T00:00:00Z" };
    fs.writeFileSync(file, JSON.stringify(owner));
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(file, old, old);

    const lock = await acquireLock(file, { staleAfterMs: 60_000 });

    expect(lock.stillHeld()).toBe(true);
    await lock.release();
  });
});
