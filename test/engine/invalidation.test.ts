import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TestProject } from "./fixtures/project.js";
import type { TestStage } from "./fixtures/test-pipeline.js";

// a -> b -> c, and d on its own: a change to b must rerun b and c only.
const graph: TestStage[] = [
  { id: "a" },
  { id: "b", upstream: ["a"], program: "code/b.txt" },
  { id: "c", upstream: ["b"] },
  { id: "d" },
];

function withStage(id: string, change: Partial<TestStage>): TestStage[] {
  return graph.map((stage) => (stage.id === id ? { ...stage, ...change } : stage));
}

describe("cache invalidation", () => {
  let project: TestProject;

  beforeEach(async () => {
    project = new TestProject();
    project.writeCode("code/b.txt", "program of b, version 1\n");
    project.writeProfile(graph);
    const first = await project.command("run");
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 1, c: 1, d: 1 });
  });

  afterEach(() => project.remove());

  it("fully cached run builds nothing", async () => {
    const again = await project.command("run");

    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/built 0, cached 4, failed 0, skipped 0/);
    expect(project.runCounts()).toEqual({ a: 1, b: 1, c: 1, d: 1 });
  });

  it("trainers get the run start time", async () => {
    const startTimes = (): string[] => project.runLines().filter((line) => line.includes(" run-started ")).map((line) => line.split(" ").at(-1)!);
    expect(startTimes()).toHaveLength(4);
    expect(new Set(startTimes()).size).toBe(1);

    const before = new Date().toISOString();
    const forced = await project.command("run", ["--force", "a"]);
    const after = new Date().toISOString();

    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0);
    const time = startTimes().at(-1)!;
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(time >= before && time <= after, `${before} <= ${time} <= ${after}`).toBe(true);
    // The start time is not part of any key: a is rebuilt under its old key and the others stay cached.
    expect(forced.stdout).toMatch(/built 1, cached 3/);
    expect(project.entryDirs("a")).toHaveLength(1);
  });

  it("parameter change reruns the stage and its dependents", async () => {
    project.writeProfile(withStage("b", { text: "b with new text" }));

    const plan = await project.command("plan");
    expect(plan.stdout).toMatch(/stale\s+b\s+parameter text of stage b: "b" -> "b with new text"/);
    expect(plan.stdout).toMatch(/stale\s+c\s+upstream b is stale/);
    expect(plan.stdout).toMatch(/cached\s+a\n/);

    const rerun = await project.command("run");
    expect(rerun.exitCode).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 2, c: 2, d: 1 });
  });

  it("code file change reruns the stage and its dependents", async () => {
    project.writeCode("code/b.txt", "program of b, version 2\n");

    const plan = await project.command("plan");
    expect(plan.stdout).toMatch(/stale\s+b\s+code file code\/b.txt changed/);

    const rerun = await project.command("run");
    expect(rerun.exitCode).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 2, c: 2, d: 1 });
  });

  it("identical upstream output keeps downstream cached", async () => {
    // `note` is in b's key but not in its output, so b reruns and writes the same bytes.
    project.writeProfile(withStage("b", { note: "rerun me" }));

    const rerun = await project.command("run");
    expect(rerun.exitCode).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 2, c: 1, d: 1 });
  });

  it("--force rebuilds a cached stage only", async () => {
    const forced = await project.command("run", ["--force", "b"]);

    expect(forced.exitCode).toBe(0);
    expect(project.runCounts()).toEqual({ a: 1, b: 2, c: 1, d: 1 });
  });

  it("--only builds the selection and its upstream stages", async () => {
    project.writeProfile(graph.map((stage) => ({ ...stage, text: `${stage.id} changed` })));

    const only = await project.command("run", ["--only", "b"]);

    expect(only.exitCode).toBe(0);
    expect(project.runCounts()).toEqual({ a: 2, b: 2, c: 1, d: 1 });
  });
});
