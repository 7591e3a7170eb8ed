import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestProject } from "./fixtures/project.js";

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
