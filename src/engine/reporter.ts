/**
 * Progress of a run as the scheduler reports it. The scheduler never prints; a reporter decides how events look
 * (bars on a terminal, plain lines in a log file).
 */
import type { StageEvent } from "./stage.js";

export type StageStatus = "built" | "cached" | "failed" | "skipped" | "cancelled";

export interface StageResult {
  id: string;
  status: StageStatus;
  /** Why a stage failed, was skipped or was cancelled. */
  message?: string;
  /** Tail of the trainer's stderr, for a failed stage. */
  stderrTail?: string;
  /** Build time, for a built or failed stage. */
  seconds?: number;
  /** Published entry folder, for a built or cached stage. */
  entryDir?: string;
}

export interface RunReporter {
  /** A cached entry exists but is damaged; it is rebuilt. */
  invalidEntry(stageId: string, problems: string[]): void;
  waitingForLock(stageId: string, holder: string): void;
  started(stageId: string, key: string): void;
  event(event: StageEvent): void;
  finished(result: StageResult): void;
  /** Restores the terminal; called once at the end of the run. */
  close(): void;
}
