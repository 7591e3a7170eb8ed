/** Runs trainer processes on this machine with execa. */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import type { StageEvent, StageSummary } from "../engine/stage.js";
import type { Executor, StageJob, StageOutcome } from "./executor.js";
import { exitCodes, parseEventLine } from "./protocol.js";

const trainerMain = path.join(path.dirname(fileURLToPath(import.meta.url)), "trainer-main.js");
const stderrTailLines = 40;
/** Time a stopping child gets to save a checkpoint before it is killed. */
const stopGraceMs = 40_000;

/** Trainer processes started by this process that have not exited yet. */
const runningTrainers = new Set<ChildProcess>();

/**
 * Kills every trainer this process started that is still running, with SIGKILL. Meant for the pipeline's way out
 * (a second Ctrl-C, an `exit` handler): a trainer stuck in synchronous work never sees a SIGTERM or notices that
 * its parent died, and would otherwise keep running, and keep its stage locked, after the pipeline exits.
 * Returns the number of processes signalled.
 */
export function killRunningTrainers(): number {
  let killed = 0;
  for (const child of runningTrainers) {
    if (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")) killed += 1;
  }
  return killed;
}

export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly local = true;

  async execute(job: StageJob, onEvent: (event: StageEvent) => void, signal: AbortSignal): Promise<StageOutcome> {
    const stageId = job.spec.stage.id;
    await fs.promises.mkdir(path.dirname(job.specFile), { recursive: true });
    await fs.promises.writeFile(job.specFile, JSON.stringify(job.spec, null, 2));
    if (signal.aborted) return cancelled("");

    const { execa } = await import("execa");
    const child = execa(process.execPath, [trainerMain, job.specFile], {
      env: job.env,
      // Relative paths in a stage resolve against the project root, whatever folder the pipeline was started in.
      cwd: job.spec.projectRoot,
      stdin: "ignore",
      buffer: false,
      reject: false,
      forceKillAfterDelay: stopGraceMs,
    });
    runningTrainers.add(child);
    const stopChild = (): void => {
      child.kill("SIGTERM");
    };
    signal.addEventListener("abort", stopChild, { once: true });

    const stderrTail: string[] = [];
    let summary: StageSummary | undefined;
    let reportedError: string | undefined;
    const stdoutDone = consumeLines(child.stdout!, (line) => {
      const event = parseEventLine(line);
      if (event === undefined) {
        onEvent({ type: "log", stage: stageId, level: "warn", message: `non-event line on stdout: ${line}` });
        return;
      }
      if (event.type === "done") summary = event.summary;
      if (event.type === "error") reportedError = event.message;
      onEvent(event);
    });
    const stderrDone = consumeLines(child.stderr!, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > stderrTailLines) stderrTail.shift();
      onEvent({ type: "log", stage: stageId, level: "info", message: `stderr: ${line}` });
    });

    const result = await child;
    runningTrainers.delete(child);
    await Promise.all([stdoutDone, stderrDone]);
    signal.removeEventListener("abort", stopChild);
    const tail = stderrTail.join("\n");

    if (result.exitCode === exitCodes.done && summary !== undefined) return { status: "done", summary };
    if (signal.aborted) return cancelled(tail);
    if (result.exitCode === undefined && result.signal === undefined) {
      return { status: "failed", reason: "spawn-failed", message: result.message ?? "trainer process could not be started", stderrTail: tail };
    }
    if (result.signal !== undefined) {
      return { status: "failed", reason: "killed", message: `trainer process was killed by ${result.signal}`, stderrTail: tail };
    }
    if (reportedError !== undefined) {
      return { status: "failed", reason: "stage-error", message: reportedError, stderrTail: tail };
    }
    const message =
      result.exitCode === exitCodes.done
        ? "trainer process exited without a done event"
        : `trainer process exited with code ${String(result.exitCode)}`;
    return { status: "failed", reason: "exit-non-zero", message, stderrTail: tail };
  }
}

function cancelled(stderrTail: string): StageOutcome {
  return { status: "failed", reason: "cancelled", message: "stopped on request", stderrTail };
}

async function consumeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) onLine(line);
}
