/**
 * Entry of a trainer process: `node dist/src/executor/trainer-main.js SPEC.json`. Runs one stage kind and reports
 * through stdout as described in `protocol.ts`.
 */
import fs from "node:fs";
import { format } from "node:util";
import { pathToFileURL } from "node:url";
import type { StageContext, StageEvent, StageKind, StageSummary } from "../engine/stage.js";
import { exitCodes, protocolVersion, type TrainerSpec } from "./protocol.js";

// Stdout is the event channel; anything a stage or a library prints goes to stderr instead.
const printToStderr = (...args: unknown[]): void => {
  process.stderr.write(format(...args) + "\n");
};
console.log = printToStderr;
console.info = printToStderr;
console.debug = printToStderr;

function writeEvent(event: StageEvent): void {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.exit(code));
}

function readSpec(file: string | undefined): TrainerSpec {
  if (file === undefined) throw new Error("Usage: trainer-main.js SPEC.json");
  const spec = JSON.parse(fs.readFileSync(file, "utf8")) as TrainerSpec;
  if (spec.protocolVersion !== protocolVersion) {
    throw new Error(`${file} has protocolVersion ${String(spec.protocolVersion)}; this trainer supports version ${protocolVersion}.`);
  }
  return spec;
}

async function loadKind(spec: TrainerSpec): Promise<StageKind> {
  const loaded = (await import(pathToFileURL(spec.kindModule).href)) as { default?: Partial<StageKind> };
  if (typeof loaded.default?.run !== "function") {
    throw new Error(`${spec.kindModule} has no default export with a run(context) function.`);
  }
  return loaded.default as StageKind;
}

/**
 * Aborts `controller` on SIGTERM or SIGINT and when the parent process dies. The same signal a second time exits at
 * once. Ctrl-C on a terminal sends SIGINT to the trainer and the pipeline, and the pipeline then sends SIGTERM, so
 * one Ctrl-C must not count as two requests.
 */
function watchForStop(controller: AbortController): void {
  const received = new Set<string>();
  const stop = (reason: string, signal?: NodeJS.Signals): void => {
    if (signal !== undefined) {
      if (received.has(signal)) process.exit(exitCodes.stopped);
      received.add(signal);
    }
    if (controller.signal.aborted) return;
    controller.abort(new Error(reason));
    // A stage that ignores the signal is given a grace period to save its checkpoint, then stopped.
    setTimeout(() => process.exit(exitCodes.stopped), 30_000).unref();
  };
  process.on("SIGTERM", () => stop("stopped by SIGTERM", "SIGTERM"));
  process.on("SIGINT", () => stop("stopped by SIGINT", "SIGINT"));
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) stop("the pipeline process exited");
  }, 500).unref();
  process.stdout.on("error", () => stop("the pipeline process closed the event pipe"));
}

async function main(): Promise<void> {
  let spec: TrainerSpec;
  let kind: StageKind;
  try {
    spec = readSpec(process.argv[2]);
    kind = await loadKind(spec);
  } catch (error) {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    exitAfterFlush(exitCodes.badSpec);
    return;
  }

  const stageId = spec.stage.id;
  const controller = new AbortController();
  watchForStop(controller);
  const context: StageContext = {
    stage: spec.stage,
    outputDir: spec.outputDir,
    workDir: spec.workDir,
    inputs: spec.inputs,
    emit: (event) => writeEvent({ ...event, stage: stageId } as StageEvent),
    signal: controller.signal,
  };

  writeEvent({ type: "started", stage: stageId, pid: process.pid, time: new Date().toISOString() });
  let summary: StageSummary;
  try {
    summary = await kind.run(context);
    // Round-trip through JSON so a summary the manifest cannot hold fails here, in the stage, not in the parent.
    summary = JSON.parse(JSON.stringify(summary ?? {})) as StageSummary;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    writeEvent({ type: "error", stage: stageId, message: failure.message, ...(failure.stack ? { stack: failure.stack } : {}) });
    exitAfterFlush(controller.signal.aborted ? exitCodes.stopped : exitCodes.stageError);
    return;
  }
  writeEvent({ type: "done", stage: stageId, summary });
  exitAfterFlush(exitCodes.done);
}

await main();
