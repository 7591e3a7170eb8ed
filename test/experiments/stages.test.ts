import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";

import type { EvalSummary, HyperpretrainSummary, PeftSummary, TrainingSummary } from "../../src/experiments/results.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = [path.resolve(here, "../.."), path.resolve(here, "../../..")].find((root) => fs.existsSync(path.join(root, "package.json")))!;
const pipelineEntry = path.join(projectRoot, "dist", "pipeline.js");

/** Summary in the manifest of the single published entry of `stage`. */
function summaryOf(artifacts: string, stage: string): Record<string, unknown> {
  const folder = path.join(artifacts, stage);
  const entries = fs.readdirSync(folder).filter((name) => /^[0-9a-f]{64}$/.test(name));
  expect(entries, `published entries of ${stage}`).toHaveLength(1);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, entries[0]!, "manifest.json"), "utf8")) as { summary: Record<string, unknown> };
  return manifest.summary;
}

function entryFolder(artifacts: string, stage: string): string {
  const folder = path.join(artifacts, stage);
  return path.join(folder, fs.readdirSync(folder).find((name) => /^[0-9a-f]{64}$/.test(name))!);
}

describe("experiment stages on the smoke profile", () => {
  const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), "experiment-stages-"));

  beforeAll(async () => {
    // One hypermodel path end to end: pretraining, hyperpretraining, MTF, evaluation and a hyper-init PEFT run.
    const result = await execa(
      process.execPath,
      [pipelineEntry, "run", "--profile", "smoke", "--artifacts", artifacts, "--only", "eval/p3/hyper-prefix", "--only", "peft/*/prefix-mlp/hyper/**"],
      { cwd: projectRoot, reject: false },
    );
    if (result.exitCode !== 0) throw new Error(`The pipeline failed (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }, 240_000);

  it("pretrain reports its training", () => {
    const summary = summaryOf(artifacts, "pretrain") as unknown as TrainingSummary;
    expect(summary.kind).toBe("pretrain");
    expect(summary.steps).toBe(6);
    expect(summary.finalLoss).toBeGreaterThan(0);
    expect(summary.estimatedFlops).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(entryFolder(artifacts, "pretrain"), "model", "model.safetensors"))).toBe(true);
  });

  it("hyperpretraining keeps its checkpoints", () => {
    const summary = summaryOf(artifacts, "hyperpretrain/hyper-prefix") as unknown as HyperpretrainSummary;
    expect(summary).toMatchObject({ kind: "hyperpretrain", hypermodel: "hyper-prefix", variant: "prefix-and-suffix", steps: 4 });
    expect(summary.checkpointSteps).toEqual([2, 4]);
    for (const step of summary.checkpointSteps) {
      expect(fs.existsSync(path.join(entryFolder(artifacts, "hyperpretrain/hyper-prefix"), `checkpoint-${step}`, "model.safetensors"))).toBe(true);
    }
  });

  it("evaluation scores every held-out task", () => {
    const summary = summaryOf(artifacts, "eval/p3/hyper-prefix") as unknown as EvalSummary;
    expect(summary).toMatchObject({ kind: "eval", dataset: "p3", method: "hyper-prefix", metric: "accuracy", hyperpretrainSteps: 4 });
    const scores = Object.values(summary.tasks);
    expect(scores.length).toBeGreaterThan(0);
    expect(summary.average).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 9);
    const lines = fs.readFileSync(path.join(entryFolder(artifacts, "eval/p3/hyper-prefix"), "predictions.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(summary.examples);
  });

  it("PEFT records a curve from step 0", () => {
    const summary = summaryOf(artifacts, "peft/hypernym_entailment/prefix-mlp/hyper/0.01/0") as unknown as PeftSummary;
    expect(summary).toMatchObject({ kind: "peft", task: "hypernym_entailment", method: "prefix-mlp", init: "hyper", learningRate: 0.01, seed: 0 });
    expect(summary.curve.map((point) => point.step)).toEqual([0, 1, 2]);
    expect(summary.final).toBe(summary.curve.at(-1)!.score);
  });
});
