/**
 * What the scheduler needs from a way of running trainer processes. The local executor spawns children on this
 * machine; a cluster executor (for example SLURM: sbatch, events appended to a file on the shared filesystem and
 * tailed, sacct for the final state) implements the same interface, so the scheduler never sees a pid.
 */
import type { StageEvent, StageSummary } from "../engine/stage.js";
import type { TrainerSpec } from "./protocol.js";

export interface StageJob {
  spec: TrainerSpec;
  /** Where the spec is written; inside the work folder, so a cluster node can read it. */
  specFile: string;
  /** Variables added to the child's environment (`HYPERTUNE_BACKEND`, `CUDA_VISIBLE_DEVICES`, `HYPERTUNE_RUN_STARTED`). */
  env: { [name: string]: string };
}

export type FailureReason =
  /** The stage's `run` threw. */
  | "stage-error"
  /** The process exited non-zero without reporting an error, or exited zero without a `done` event. */
  | "exit-non-zero"
  /** The process was killed by a signal it did not handle (out of memory, kill -9). */
  | "killed"
  /** The process could not be started. */
  | "spawn-failed"
  /** The run was stopped on request (SIGINT or SIGTERM to the pipeline). */
  | "cancelled";

export type StageOutcome =
  | { status: "done"; summary: StageSummary }
  | { status: "failed"; reason: FailureReason; message: string; stderrTail: string };

export interface Executor {
  /** Short name recorded in manifests, e.g. `local`. */
  readonly name: string;
  /** Whether trainers run on this host, so the pid in their `started` event can be checked for liveness. */
  readonly local: boolean;
  /**
   * Runs one stage to completion. `onEvent` receives every event in order (and stderr lines as `log` events).
   * When `signal` aborts, the executor asks the child to stop and resolves with a `cancelled` outcome.
   */
  execute(job: StageJob, onEvent: (event: StageEvent) => void, signal: AbortSignal): Promise<StageOutcome>;
}
