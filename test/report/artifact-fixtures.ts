/**
 * Builds published artifact entries (`<root>/<stage-id>/<key>/` with outputs and a valid `manifest.json`) in a
 * temporary folder, as the engine would, for tests of the report.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Manifest, OutputFile } from "../../src/engine/manifest.js";
import { outputsDigest } from "../../src/engine/manifest.js";
import type { JsonValue, StageSummary } from "../../src/engine/stage.js";
import type { EvalSummary, PeftSummary } from "../../src/experiments/results.js";

export function temporaryFolder(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hypertune-${prefix}-`));
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface EntryOptions {
  stageId: string;
  kind: string;
  summary: StageSummary;
  params?: { [key: string]: JsonValue };
  /** Output files to write, by relative path. */
  files?: { [relativePath: string]: string };
  backend?: string | null;
  /** Outputs digest of each upstream stage, by stage id. */
  upstream?: { [stageId: string]: string };
  started?: string;
  finished?: string;
  seconds?: number;
}

/** Writes one published entry under `root` and returns its folder. */
export function writeEntry(root: string, options: EntryOptions): string {
  const params = options.params ?? {};
  const key = sha256(JSON.stringify({ id: options.stageId, params, summary: options.summary }));
  const dir = path.join(root, options.stageId, key);
  fs.mkdirSync(dir, { recursive: true });
  const files = options.files ?? { "result.json": JSON.stringify(options.summary) };
  const outputs: OutputFile[] = Object.entries(files).map(([relative, text]) => {
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), text);
    return { path: relative, size: Buffer.byteLength(text), sha256: sha256(text) };
  });
  const manifest: Manifest = {
    manifestVersion: 1,
    stage: options.stageId,
    key,
    record: {
      recordVersion: 1,
      kind: options.kind,
      params,
      upstream: options.upstream ?? {},
      code: {},
      engine: { node: process.version, packages: {}, backend: options.backend === undefined ? "cpu" : options.backend },
    },
    outputs,
    outputsDigest: outputsDigest(outputs),
    timings: {
      started: options.started ?? "2026-01-01T10:00:00.000Z",
      finished: options.finished ?? "2026-01-01T10:00:30.000Z",
      seconds: options.seconds ?? 30,
    },
    summary: options.summary,
    provenance: { profile: "test", profileDigest: sha256("test"), host: "test-host", executor: "local" },
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Reads the outputs digest from the manifest of an entry folder. */
export function entryOutputsDigest(dir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest).outputsDigest;
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Builds an eval summary whose task scores follow `scoreOf`, with the average computed from them. */
export function evalSummary(
  dataset: EvalSummary["dataset"],
  method: EvalSummary["method"],
  tasks: string[],
  scoreOf: (taskIndex: number) => number,
  extra: Partial<EvalSummary> = {},
): EvalSummary {
  const scores = Object.fromEntries(tasks.map((task, index) => [task, scoreOf(index)]));
  return {
    kind: "eval",
    dataset,
    method,
    metric: dataset === "p3" ? "accuracy" : dataset.startsWith("sni/") ? "rouge-l" : "macro-f1/accuracy",
    average: mean(Object.values(scores)),
    tasks: scores,
    examples: tasks.length * 10,
    ...extra,
  };
}

/** Builds a PEFT summary with a straight-line curve from `start` at step 0 to `final` at `steps`. */
export function peftSummary(
  task: string,
  method: PeftSummary["method"],
  init: PeftSummary["init"],
  learningRate: number,
  seed: number,
  start: number,
  final: number,
  steps = 4,
): PeftSummary {
  const curve = [0, steps / 2, steps].map((step) => ({ step, score: start + ((final - start) * step) / steps }));
  return { kind: "peft", task, method, init, learningRate, seed, final, curve };
}

/** Stage id for a test entry; the report never parses ids, so any unique path-like name works. */
export function stageIdFor(summary: EvalSummary | PeftSummary): string {
  if (summary.kind === "eval") {
    let variant = "";
    if (summary.hyperpretrainVariant === "prefix-only") variant = "/prefix-only";
    else if (summary.hyperpretrainSteps !== undefined) variant = `/steps-${summary.hyperpretrainSteps}`;
    return `eval/${summary.dataset}/${summary.method}${variant}`;
  }
  return `peft/${summary.task}/${summary.method}/${summary.init}/${summary.learningRate}/${summary.seed}`;
}

/** Writes an entry per summary and returns the `inputs` map a report stage would get. */
export function writeInputs(root: string, summaries: (EvalSummary | PeftSummary)[]): { [stageId: string]: string } {
  const inputs: { [stageId: string]: string } = {};
  for (const summary of summaries) {
    const stageId = stageIdFor(summary);
    inputs[stageId] = writeEntry(root, { stageId, kind: summary.kind, summary: summary as unknown as StageSummary });
  }
  return inputs;
}
