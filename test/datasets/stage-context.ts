/** A `StageContext` over temporary folders, recording emitted events, for running stage kinds in tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { JsonValue, StageContext, StageEvent } from "../../src/engine/stage.js";

export interface TestStage {
  context: StageContext;
  events: Omit<StageEvent, "stage">[];
  root: string;
}

export function makeStageContext(
  kind: string,
  params: { [key: string]: JsonValue },
  inputs: { [stageId: string]: string } = {},
  root = fs.mkdtempSync(path.join(os.tmpdir(), `hypertune-${kind}-`)),
): TestStage {
  const outputDir = path.join(root, "output");
  const workDir = path.join(root, "work");
  fs.rmSync(outputDir, { recursive: true, force: true });
  fs.mkdirSync(outputDir, { recursive: true });
  fs.mkdirSync(workDir, { recursive: true });
  const events: TestStage["events"] = [];
  const context: StageContext = {
    stage: { id: `${kind}/test`, kind, params, upstream: Object.keys(inputs), code: [], resource: "cpu" },
    outputDir,
    workDir,
    inputs,
    emit: (event) => events.push(event),
    signal: new AbortController().signal,
  };
  return { context, events, root };
}
