/** `run`: builds every stage of a profile (or a selection) that is not cached. */
import childProcess from "node:child_process";
import { createConsoleReporter } from "../engine/console-reporter.js";
import { InputError } from "../engine/errors.js";
import type { StageResult } from "../engine/reporter.js";
import { runStages } from "../engine/scheduler.js";
import { releaseHeldLocksSync } from "../engine/lock.js";
import { openSession } from "../engine/session.js";
import { killRunningTrainers, LocalExecutor } from "../executor/local-executor.js";
import {
  defaultJobs,
  integerValue,
  listValue,
  parseCommand,
  resolveSessionOptions,
  sessionOptions,
  stageGlobRules,
  stringValue,
  withInputErrors,
  type CommandSpec,
} from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- run [options]",
  summary: "Build every stage of the profile that is not cached, upstream stages first, and print a summary.",
  options: [
    ...sessionOptions,
    { name: "jobs", type: "string", value: "N", description: "maximum number of stages built at once", defaultText: `${defaultJobs} (the number of cores)` },
    {
      name: "gpus",
      type: "string",
      value: "N",
      description:
        "GPUs visible to the run; at most N GPU stages run at once, each with its own CUDA_VISIBLE_DEVICES (with 0, GPU stages run on the CPU)",
      defaultText: "the devices in $CUDA_VISIBLE_DEVICES if set, else those `nvidia-smi -L` lists, 0 without nvidia-smi",
    },
    { name: "only", type: "string", multiple: true, value: "GLOB", description: "build only matching stage ids (and the upstream stages they need)" },
    { name: "force", type: "string", multiple: true, value: "GLOB", description: "rebuild matching stages even when cached" },
  ],
  notes: stageGlobRules,
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    const startedAt = Date.now();
    const jobs = integerValue(parsed, "jobs", defaultJobs, 1);
    const gpuCount = stringValue(parsed, "gpus") !== undefined ? integerValue(parsed, "gpus", 0, 0) : undefined;
    const gpus = (): string[] => visibleGpus(gpuCount);
    const session = await openSession(resolveSessionOptions(parsed));

    const controller = new AbortController();
    // The first signal asks the trainers to save a checkpoint and stop (SIGTERM); the second one, or any exit
    // before they stopped, kills them. The trainers go first, so that no lock is freed while its trainer writes.
    const killTrainersAndReleaseLocks = (): void => {
      killRunningTrainers();
      releaseHeldLocksSync();
    };
    const stop = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) {
        const killed = killRunningTrainers();
        process.stderr.write(`\n${signal} again: killed ${killed} trainer process(es); their work folders are kept.\n`);
        process.exit(130);
      }
      process.stderr.write(`\n${signal}: stopping the running stages (again to kill them and quit at once)...\n`);
      controller.abort(new InputError(`stopped by ${signal}`));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    process.on("exit", killTrainersAndReleaseLocks);

    const reporter = createConsoleReporter(process.stdout);
    let results: StageResult[];
    try {
      results = await runStages(session, {
        jobs,
        gpus,
        only: listValue(parsed, "only"),
        force: listValue(parsed, "force"),
        executor: new LocalExecutor(),
        reporter,
        signal: controller.signal,
        runStarted: new Date(startedAt).toISOString(),
      });
    } finally {
      reporter.close();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.off("exit", killTrainersAndReleaseLocks);
    }
    process.stdout.write(summarize(results, (Date.now() - startedAt) / 1000));
    if (controller.signal.aborted) return 130;
    if (session.pipeline.afterRun !== undefined) {
      const outcomes = results.map(({ id, status, entryDir }) => (entryDir === undefined ? { id, status } : { id, status, entryDir }));
      await session.pipeline.afterRun(outcomes, { projectRoot: session.options.projectRoot });
    }
    return results.some((result) => result.status !== "built" && result.status !== "cached") ? 1 : 0;
  });
}

function summarize(results: StageResult[], seconds: number): string {
  const count = (status: StageResult["status"]): number => results.filter((result) => result.status === status).length;
  const lines: string[] = [];
  for (const result of results.filter((item) => item.status === "failed")) {
    lines.push(`\nFAILED ${result.id}: ${result.message ?? "no message"}`);
    if (result.stderrTail) lines.push(`  last lines of its stderr:\n    ${result.stderrTail.split("\n").join("\n    ")}`);
  }
  const cancelled = count("cancelled");
  lines.push(
    `built ${count("built")}, cached ${count("cached")}, failed ${count("failed")}, skipped ${count("skipped")}` +
      (cancelled > 0 ? `, cancelled ${cancelled}` : "") +
      ` (${results.length} stages) in ${seconds.toFixed(2)} s`,
  );
  return lines.join("\n") + "\n";
}

/**
 * Returns the ids of the GPUs the run may use: those in `$CUDA_VISIBLE_DEVICES` when it is set, otherwise the ones
 * `nvidia-smi -L` lists (none when it is not installed), limited to the first `count` when `--gpus` is given.
 */
function visibleGpus(count: number | undefined): string[] {
  const inherited = process.env.CUDA_VISIBLE_DEVICES;
  let devices: string[];
  if (inherited !== undefined) {
    devices = inherited.split(",").map((id) => id.trim()).filter((id) => id !== "");
  } else {
    const listed = childProcess.spawnSync("nvidia-smi", ["-L"], { encoding: "utf8", timeout: 10_000 });
    const lines = listed.status === 0 && typeof listed.stdout === "string" ? listed.stdout.split("\n") : [];
    devices = lines.filter((line) => line.startsWith("GPU ")).map((_, index) => String(index));
  }
  if (count === undefined) return devices;
  // An explicit count larger than what was detected is trusted: nvidia-smi may be missing where GPUs are not.
  return Array.from({ length: count }, (_, index) => devices[index] ?? String(index));
}
