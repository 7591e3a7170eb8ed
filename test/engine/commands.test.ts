import { execa } from "execa";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pipelineEntry, TestProject, testPipelineModule } from "./fixtures/project.js";

// One project for every command test: they run in order and each leaves the folder as the next one expects.
describe("graph, status, gc and clean", () => {
  let project: TestProject;

  beforeAll(async () => {
    project = new TestProject();
    project.writeProfile([{ id: "data/raw" }, { id: "train/small", upstream: ["data/raw"], resource: "gpu" }]);
    const first = await project.command("run", ["--gpus", "0"]);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  });

  afterAll(() => project.remove());

  it("graph prints Mermaid edges", async () => {
    const result = await project.command("graph");

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("flowchart LR");
    expect(result.stdout).toContain('s0["data/raw<br/><i>record</i>"]');
    expect(result.stdout).toContain("s0 --> s1");
  });

  it("graph prints DOT edges", async () => {
    const result = await project.command("graph", ["--format", "dot"]);

    expect(result.stdout).toContain('"data/raw" -> "train/small";');
    expect(result.stdout).toMatch(/"train\/small" \[label=.*style=bold\]/);
  });

  it("status lists entries per stage", async () => {
    const result = await project.command("status");

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/data\/raw\s+cached\s+1\s/);
    expect(result.stdout).toMatch(/train\/small\s+cached\s+1\s/);
  });

  it("status marks dead holder lock stale", async () => {
    const planned = (await project.command("plan", ["--json"])).stdout.trim().split("\n").map((line) => JSON.parse(line) as { id: string; key: string });
    const key = planned.find((stage) => stage.id === "data/raw")!.key;
    const lockFile = path.join(project.artifacts, ".locks", "data", "raw", `${key}.lock`);
    const dead = await execa(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), token: "dead", since: new Date().toISOString() }));

    const result = await project.command("status");
    fs.rmSync(lockFile);

    expect(result.stdout).toMatch(new RegExp(`data/raw .*stale lock \\(pipeline pid ${dead.stdout}, which has exited`));
    expect(result.stdout).not.toContain("locked (being built");
  });

  it("gc removes only superseded entries", async () => {
    const oldEntry = project.entryDirs("train/small")[0]!;
    project.writeProfile([{ id: "data/raw" }, { id: "train/small", upstream: ["data/raw"], text: "retrained" }]);
    expect((await project.command("run")).exitCode).toBe(0);
    expect(project.entryDirs("train/small")).toHaveLength(2);

    const dryRun = await project.command("gc", ["--dry-run"]);
    expect(dryRun.stdout).toContain(`would remove ${oldEntry}`);
    expect(project.entryDirs("train/small")).toHaveLength(2);

    const result = await project.command("gc");
    expect(result.exitCode).toBe(0);
    expect(fs.existsSync(oldEntry)).toBe(false);
    expect(project.entryDirs("train/small")).toHaveLength(1);
    expect(project.entryDirs("data/raw")).toHaveLength(1);
    expect((await project.command("plan")).stdout).toMatch(/2 stages: 2 cached, 0 stale/);
  });

  it("clean removes the matching stages", async () => {
    const result = await project.command("clean", ["--artifacts", project.artifacts, "train/*"]);

    expect(result.exitCode).toBe(0);
    expect(project.entryDirs("train/small")).toEqual([]);
    expect(project.entryDirs("data/raw")).toHaveLength(1);
    expect(fs.existsSync(path.join(project.artifacts, "data", "raw"))).toBe(true);
    expect((await project.command("plan")).stdout).toMatch(/stale\s+train\/small\s+never built/);
  });
});

describe("clean and gc with nested stage ids", () => {
  let project: TestProject;
  const key = "a".repeat(64);

  /** A checkpoint folder as a killed build of `stageId` leaves it. */
  function writeWork(stageId: string): string {
    const dir = path.join(project.artifacts, ".work", stageId, key);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "checkpoint.json"), '{"step": 1}');
    return dir;
  }

  beforeEach(async () => {
    project = new TestProject();
    project.writeProfile([{ id: "mtf" }, { id: "mtf/child", upstream: ["mtf"] }]);
    const first = await project.command("run");
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
  });

  afterEach(() => project.remove());

  it("clean keeps nested stage folders", async () => {
    const parentWork = writeWork("mtf");
    const childWork = writeWork("mtf/child");

    const result = await project.command("clean", ["--artifacts", project.artifacts, "mtf"]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(project.entryDirs("mtf")).toEqual([]);
    expect(fs.existsSync(parentWork)).toBe(false);
    expect(project.entryDirs("mtf/child")).toHaveLength(1);
    expect(fs.existsSync(path.join(childWork, "checkpoint.json"))).toBe(true);
  });

  it("gc keeps nested checkpoint folders", async () => {
    const parentWork = writeWork("mtf");
    const childWork = writeWork("mtf/child");
    project.writeProfile([{ id: "mtf/child" }]);

    const result = await project.command("gc");

    expect(result.exitCode, result.stderr).toBe(0);
    expect(fs.existsSync(parentWork)).toBe(false);
    expect(fs.existsSync(path.join(childWork, "checkpoint.json"))).toBe(true);
  });
});

describe("gc profile check", () => {
  let project: TestProject;

  beforeEach(() => {
    project = new TestProject();
  });

  afterEach(() => project.remove());

  it("gc without --profile is rejected", async () => {
    project.writeProfile([{ id: "a" }]);
    expect((await project.command("run")).exitCode).toBe(0);
    const session = ["--pipeline", testPipelineModule, "--project-root", project.root, "--artifacts", project.artifacts];

    const result = await execa(process.execPath, [pipelineEntry, "gc", "--dry-run", ...session], { reject: false });

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("gc needs at least one --profile NAME");
    expect(project.entryDirs("a")).toHaveLength(1);
  });

  it("gc warns about a profile without entries", async () => {
    project.writeProfile([{ id: "a" }]);
    expect((await project.command("run")).exitCode).toBe(0);
    const other = path.join(project.root, "other.json");
    fs.writeFileSync(other, JSON.stringify({ runLog: project.runLog, stages: [{ id: "never-built" }] }));

    const result = await project.command("gc", ["--dry-run", "--profile", other]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: profile other has no cached entry in ${project.artifacts}`);
    expect(result.stdout).toContain("kept 1 entries");
  });
});

describe("stage globs", () => {
  let project: TestProject;

  beforeEach(() => {
    project = new TestProject();
    project.writeProfile([{ id: "mtf/p3/hyper-lora" }, { id: "mtf/p3/hyper-prefix" }, { id: "eval/sni" }]);
  });

  afterEach(() => project.remove());

  it("run --only hints at `**`", async () => {
    const result = await project.command("run", ["--only", "mtf/*"]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--only mtf/* matches no stage of this profile.");
    expect(result.stderr).toContain("`*` does not cross `/`; did you mean `mtf/**`? It matches mtf/p3/hyper-lora, mtf/p3/hyper-prefix.");
    expect(project.runLines()).toEqual([]);
  });

  it("plan --only lists matching stages", async () => {
    const result = await project.command("plan", ["--only", "mtf/**"]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/stale\s+mtf\/p3\/hyper-lora/);
    expect(result.stdout).not.toContain("eval/sni");
  });

  it("clean hints at `**`", async () => {
    fs.mkdirSync(path.join(project.artifacts, "mtf", "p3", "hyper-lora", "b".repeat(64)), { recursive: true });

    const result = await project.command("clean", ["--artifacts", project.artifacts, "mtf/*"]);

    expect(result.stderr).toContain("did you mean `mtf/**`? It matches mtf/p3/hyper-lora.");
    expect(fs.existsSync(path.join(project.artifacts, "mtf", "p3", "hyper-lora", "b".repeat(64)))).toBe(true);
  });

  it("help explains the glob rules", async () => {
    for (const command of ["run", "plan", "clean"]) {
      const result = await project.command(command, ["--help"]);
      expect(result.stdout, command).toContain("`*` matches within one `/`-separated part of an id");
      expect(result.stdout, command).toContain("`mtf/**` matches both");
    }
  });
});
