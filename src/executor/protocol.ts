/**
 * The protocol between the engine (parent) and a trainer process (child) that runs one stage.
 *
 * The parent writes a `TrainerSpec` as JSON to a file and starts `node dist/src/executor/trainer-main.js SPEC`,
 * with `HYPERTUNE_BACKEND`, `CUDA_VISIBLE_DEVICES` and `HYPERTUNE_RUN_STARTED` (the ISO 8601 start time of the
 * pipeline run, so a report can tell this run's builds from cache hits) in its environment. No variable is part of
 * a stage key.
 * The child imports `spec.kindModule`, calls the default export's `run(context)` and reports through stdout,
 * which carries only newline-delimited JSON `StageEvent`s (console.log and console.info go to stderr). The first
 * event is `started`; the last is `done` (with the summary) or `error`. Stderr is free text; the parent keeps its
 * tail for error messages.
 *
 * On SIGTERM or SIGINT the child aborts `context.signal`, so the stage can save a checkpoint and throw; it then
 * exits with `exitCodes.stopped`. A child whose parent has died stops the same way, so a killed pipeline leaves no
 * orphan writing into the work folder.
 *
 * A stage succeeded only if the child exited with `exitCodes.done` after a `done` event.
 */
import type { StageDefinition, StageEvent } from "../engine/stage.js";

export const protocolVersion = 1;

export interface TrainerSpec {
  protocolVersion: typeof protocolVersion;
  stage: StageDefinition;
  /** Absolute path of the compiled stage kind module. */
  kindModule: string;
  /** Empty folder whose contents are published as the stage's outputs. */
  outputDir: string;
  /** Folder for checkpoints that survives failed and killed runs of the same key. */
  workDir: string;
  /** Published folder of each upstream stage, by stage id. */
  inputs: { [stageId: string]: string };
  /** TensorFlow.js backend to use (`tensorflow`, `wasm`, `cpu`), also given as `HYPERTUNE_BACKEND`. */
  backend: string;
  projectRoot: string;
}

export const exitCodes = {
  /** `run` returned and the `done` event was written. */
  done: 0,
  /** `run` threw; an `error` event was written. */
  stageError: 1,
  /** The spec was unreadable or the kind module could not be loaded. */
  badSpec: 2,
  /** Stopped on request (SIGTERM, SIGINT) or because the parent died. */
  stopped: 3,
} as const;

/** Parses one stdout line of a trainer; returns undefined for a line that is not a stage event. */
export function parseEventLine(line: string): StageEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as { type?: unknown; stage?: unknown };
    return typeof value.type === "string" && typeof value.stage === "string" ? (value as StageEvent) : undefined;
  } catch {
    return undefined;
  }
}
