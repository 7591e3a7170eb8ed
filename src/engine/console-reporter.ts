/**
 * Reporters that write a run's progress to a stream: `TerminalReporter` redraws one progress bar per running
 * stage on a TTY; `PlainReporter` writes one line per start, finish and progress milestone, for log files and CI.
 */
import type { RunReporter, StageResult } from "./reporter.js";
import type { StageEvent } from "./stage.js";

type Progress = Extract<StageEvent, { type: "progress" }>;

function describeProgress(progress: Progress): string {
  const parts = [`${progress.step}/${progress.total}`];
  if (progress.phase !== undefined) parts.unshift(progress.phase);
  if (progress.loss !== undefined) parts.push(`loss ${progress.loss.toPrecision(4)}`);
  if (progress.throughput !== undefined) {
    const unit = progress.unit ?? "items";
    // `unit` names what is counted ("tokens"); some stages already give a rate ("tokens/s").
    parts.push(`${formatRate(progress.throughput)} ${unit.endsWith("/s") ? unit : `${unit}/s`}`);
  }
  return parts.join("  ");
}

function formatRate(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toPrecision(3);
}

function describeResult(result: StageResult): string {
  const time = result.seconds !== undefined ? ` in ${result.seconds.toFixed(1)} s` : "";
  const why = result.message !== undefined ? `: ${result.message}` : "";
  return `${result.status} ${result.id}${time}${why}`;
}

/** Decides whether a finished stage gets a line; cached stages are only counted in the summary. */
function worthALine(result: StageResult): boolean {
  return result.status !== "cached";
}

export class PlainReporter implements RunReporter {
  readonly #out: NodeJS.WritableStream;
  /** Last progress tenth printed per stage, so a long stage prints about ten progress lines. */
  readonly #printedTenth = new Map<string, number>();

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  #line(text: string): void {
    this.#out.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
  }

  invalidEntry(stageId: string, problems: string[]): void {
    this.#line(`invalid cache entry of ${stageId}, rebuilding it:\n    ${problems.join("\n    ")}`);
  }

  waitingForLock(stageId: string, holder: string): void {
    this.#line(`waiting for ${stageId}: another pipeline is building it (${holder})`);
  }

  started(stageId: string, key: string): void {
    this.#line(`start ${stageId} (key ${key.slice(0, 12)})`);
  }

  event(event: StageEvent): void {
    if (event.type === "progress" && event.total > 0) {
      const tenth = Math.floor((10 * event.step) / event.total);
      if (tenth > (this.#printedTenth.get(event.stage) ?? -1)) {
        this.#printedTenth.set(event.stage, tenth);
        this.#line(`${event.stage}: ${describeProgress(event)}`);
      }
    } else if (event.type === "checkpoint") {
      this.#line(`${event.stage}: checkpoint at step ${event.step}`);
    } else if (event.type === "log" && event.level === "warn") {
      this.#line(`${event.stage}: ${event.message}`);
    }
  }

  finished(result: StageResult): void {
    if (worthALine(result)) this.#line(describeResult(result));
  }

  close(): void {}
}

const barWidth = 24;

export class TerminalReporter implements RunReporter {
  readonly #out: NodeJS.WriteStream;
  readonly #running = new Map<string, string>();
  #drawnLines = 0;
  #lastDraw = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  /** Writes `text` above the bars, then redraws them. */
  #print(text: string): void {
    this.#clearBars();
    this.#out.write(text + "\n");
    this.#drawBars();
  }

  #clearBars(): void {
    if (this.#drawnLines > 0) this.#out.write(`\x1b[${this.#drawnLines}F\x1b[J`);
    this.#drawnLines = 0;
  }

  #drawBars(): void {
    // A pseudo-terminal without a size reports 0 columns.
    const columns = this.#out.columns > 20 ? this.#out.columns : 100;
    const lines = [...this.#running.entries()].map(([id, status]) => `${id}  ${status}`.slice(0, columns - 1));
    if (lines.length > 0) this.#out.write(lines.join("\n") + "\n");
    this.#drawnLines = lines.length;
    this.#lastDraw = Date.now();
  }

  invalidEntry(stageId: string, problems: string[]): void {
    this.#print(`invalid cache entry of ${stageId}, rebuilding it:\n    ${problems.join("\n    ")}`);
  }

  waitingForLock(stageId: string, holder: string): void {
    this.#running.set(stageId, `waiting for another pipeline (${holder})`);
    this.#print(`waiting for ${stageId}: another pipeline is building it`);
  }

  started(stageId: string, key: string): void {
    this.#running.set(stageId, "starting");
    this.#print(`start ${stageId} (key ${key.slice(0, 12)})`);
  }

  event(event: StageEvent): void {
    if (event.type === "progress" && event.total > 0) {
      const filled = Math.round((barWidth * Math.min(event.step, event.total)) / event.total);
      this.#running.set(event.stage, `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${describeProgress(event)}`);
      // Redrawing on every event would flood a slow terminal; ten frames a second are enough.
      if (Date.now() - this.#lastDraw > 100) {
        this.#clearBars();
        this.#drawBars();
      }
    } else if (event.type === "log" && event.level === "warn") {
      this.#print(`${event.stage}: ${event.message}`);
    }
  }

  finished(result: StageResult): void {
    const wasRunning = this.#running.delete(result.id);
    if (worthALine(result) || wasRunning) this.#print(describeResult(result));
  }

  close(): void {
    this.#clearBars();
  }
}

export function createConsoleReporter(out: NodeJS.WriteStream): RunReporter {
  return out.isTTY ? new TerminalReporter(out) : new PlainReporter(out);
}
