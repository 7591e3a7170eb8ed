/**
 * The contract between the engine and the stage kinds in `stages/`.
 *
 * A stage kind is a module whose default export is a `StageKind`. The engine resolves a profile into
 * `StageDefinition`s, keys each one, and runs the kind's `run` inside a trainer process (see
 * `src/executor/protocol.ts`), so `run` must only communicate through its `StageContext`.
 */

/** JSON-compatible value: parameters and metrics must survive canonical serialization unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Resource a stage occupies while it runs. The scheduler runs at most one GPU stage per visible GPU. */
export type StageResource = "cpu" | "gpu";

/** One node of the task graph, as resolved from a profile. */
export interface StageDefinition {
  /** Unique path-like id, e.g. `mtf/p3/hyper-prefix` or `eval/sni/t5-mtf`. */
  id: string;
  /** Name of the stage kind: `stages/<kind>.ts` (or a module path given by `kindModule`). */
  kind: string;
  /** Absolute path of the compiled module to run; defaults to `dist/stages/<kind>.js`. Tests use it. */
  kindModule?: string;
  /** Resolved parameters: everything besides code and inputs that decides the outputs. */
  params: { [key: string]: JsonValue };
  /** Ids of the stages whose published outputs this stage reads. */
  upstream: string[];
  /** Globs, relative to the project root, of the source files the kind runs (part of the key). */
  code: string[];
  resource: StageResource;
}

/** Kinds of event a stage reports; they are appended to the stage's `log.jsonl`. */
export type StageEvent =
  | { type: "started"; stage: string; pid: number; time: string }
  | {
      type: "progress";
      stage: string;
      step: number;
      total: number;
      loss?: number;
      /** Examples or tokens per second, in the unit named by `unit`. */
      throughput?: number;
      unit?: string;
      phase?: string;
    }
  | { type: "metric"; stage: string; name: string; value: number; step?: number }
  | { type: "checkpoint"; stage: string; step: number; path: string }
  | { type: "log"; stage: string; level: "debug" | "info" | "warn"; message: string }
  | { type: "done"; stage: string; summary: { [key: string]: JsonValue } }
  | { type: "error"; stage: string; message: string; stack?: string };

/** Context of a running stage. Paths are absolute. */
export interface StageContext {
  stage: StageDefinition;
  /** Empty temporary folder on the artifacts filesystem; everything written here is published. */
  outputDir: string;
  /** Folder that survives failed and killed runs of this key, for checkpoints; removed after publishing. */
  workDir: string;
  /** Published output folder of every upstream stage, by stage id. */
  inputs: { [stageId: string]: string };
  /** Reports progress, metrics, checkpoints and log lines to the parent. */
  emit(event: DistributiveOmit<StageEvent, "stage">): void;
  /** Aborted when the parent requests a stop (SIGINT/SIGTERM). The stage then saves its checkpoint and throws. */
  signal: AbortSignal;
}

/** Summary metrics recorded in the manifest (numbers, strings or nested JSON). */
export type StageSummary = { [key: string]: JsonValue };

export interface StageKind {
  /** Runs the stage; returns summary metrics for the manifest. */
  run(context: StageContext): Promise<StageSummary>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
