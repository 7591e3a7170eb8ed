/**
 * Runs the selected stages of a session. A stage is keyed once all its upstream stages are built or cached. It is
 * reused when its entry is valid and built otherwise, with at most `jobs` builds at once and at most one GPU stage
 * per visible GPU. A failed stage marks every stage that depends on it as skipped, and independent branches go on.
 */
import type { Executor } from "../executor/executor.js";
import { buildStage, type BuildResult } from "./build-stage.js";
import { matchStages, withUpstream } from "./graph.js";
import type { RunReporter, StageResult } from "./reporter.js";
import { keyStage, type KeyedStage, type Session } from "./session.js";
import type { StageDefinition } from "./stage.js";

export interface ScheduleOptions {
  jobs: number;
  /**
   * Device ids of the GPUs the run may use, as `CUDA_VISIBLE_DEVICES` names them. A function, so that
   * `nvidia-smi` only runs when a GPU stage must be built.
   */
  gpus: () => string[];
  /** Stage id globs to build (with their upstream stages); empty means every stage. */
  only: string[];
  /** Stage id globs to rebuild even when cached. */
  force: string[];
  executor: Executor;
  reporter: RunReporter;
  signal: AbortSignal;
  /** Start of the pipeline run as an ISO 8601 string, passed to every trainer (see `BuildContext`). */
  runStarted: string;
}

interface Slots {
  running: number;
  gpuInUse: Set<string>;
}

export async function runStages(session: Session, options: ScheduleOptions): Promise<StageResult[]> {
  const selected = options.only.length > 0 ? withUpstream(session.stages, await matchStages(session.stages, options.only, "--only")) : undefined;
  const forced = await matchStages(session.stages, options.force, "--force");
  const pending = session.stages.filter((stage) => selected === undefined || selected.has(stage.id));
  const results = new Map<string, BuildResult>();
  const running = new Map<string, Promise<void>>();
  const slots: Slots = { running: 0, gpuInUse: new Set() };
  let gpuDevices: string[] | undefined;

  const outcomeOf = (stage: StageDefinition): "ready" | "waiting" | StageResult => {
    for (const upstream of stage.upstream) {
      const result = results.get(upstream);
      if (result === undefined) return "waiting";
      if (result.status !== "built" && result.status !== "cached") {
        const reason = result.status === "cancelled" ? "the run was stopped" : `upstream ${upstream} ${result.status}`;
        return { id: stage.id, status: result.status === "cancelled" ? "cancelled" : "skipped", message: reason };
      }
    }
    return "ready";
  };

  const keyedStages = new Map<string, KeyedStage>();
  let progressed = false;
  // Saved now and then, so a run killed after days of builds does not have to rehash every output.
  let memoSavedAt = Date.now();
  const saveMemoNowAndThen = async (): Promise<void> => {
    if (Date.now() - memoSavedAt < 30_000) return;
    memoSavedAt = Date.now();
    // A failed save here is not fatal: the save at the end of the run retries it and reports its error.
    await session.store.memo.save().catch(() => undefined);
  };
  const finish = (result: BuildResult): void => {
    const index = pending.findIndex((stage) => stage.id === result.id);
    if (index < 0) throw new Error(`Internal error: stage ${result.id} finished twice.`);
    results.set(result.id, result);
    pending.splice(index, 1);
    options.reporter.finished(result);
    progressed = true;
  };

  for (;;) {
    progressed = false;
    for (const stage of [...pending]) {
      // A stage in this snapshot may have finished while an earlier iteration awaited a key.
      if (running.has(stage.id) || results.has(stage.id)) continue;
      const state = options.signal.aborted ? { id: stage.id, status: "cancelled" as const, message: "the run was stopped" } : outcomeOf(stage);
      if (state === "waiting") continue;
      if (state !== "ready") {
        finish(state);
        continue;
      }

      let keyed = keyedStages.get(stage.id);
      if (keyed === undefined) {
        const upstreamDigests = Object.fromEntries(stage.upstream.map((id) => [id, results.get(id)!.manifest!.outputsDigest]));
        try {
          keyed = await keyStage(session, stage, upstreamDigests);
        } catch (error) {
          // A stage that cannot be keyed (a code glob matching nothing) fails alone; builds in flight go on.
          finish({ id: stage.id, status: "failed", message: (error as Error).message });
          continue;
        }
        keyedStages.set(stage.id, keyed);
        if (keyed.check.state === "valid" && !forced.has(stage.id)) {
          finish({ id: stage.id, status: "cached", entryDir: keyed.check.dir, manifest: keyed.check.manifest });
          continue;
        }
        if (keyed.check.state === "invalid") options.reporter.invalidEntry(stage.id, keyed.check.problems);
      }

      if (stage.resource === "gpu") gpuDevices ??= options.gpus();
      const needsGpuSlot = stage.resource === "gpu" && gpuDevices!.length > 0;
      const device = needsGpuSlot ? gpuDevices!.find((id) => !slots.gpuInUse.has(id)) : undefined;
      if (slots.running >= options.jobs || (needsGpuSlot && device === undefined)) continue;

      slots.running += 1;
      if (device !== undefined) slots.gpuInUse.add(device);
      const inputs = Object.fromEntries(stage.upstream.map((id) => [id, results.get(id)!.entryDir!]));
      // Every other stage sees no GPU: a CPU stage (or a GPU stage with `--gpus 0`) must not take device memory
      // from the GPU stages running next to it.
      const cudaVisibleDevices = device ?? "";
      const request = { stage, key: keyed.key, record: keyed.record, inputs, force: forced.has(stage.id), cudaVisibleDevices };
      const build = buildStage(request, {
        session,
        executor: options.executor,
        reporter: options.reporter,
        signal: options.signal,
        runStarted: options.runStarted,
      })
        .catch((error: unknown): BuildResult => ({ id: stage.id, status: "failed", message: (error as Error).message }))
        .then(async (result) => {
          await saveMemoNowAndThen();
          slots.running -= 1;
          if (device !== undefined) slots.gpuInUse.delete(device);
          running.delete(stage.id);
          finish(options.signal.aborted && result.status === "failed" ? { ...result, status: "cancelled" } : result);
        });
      running.set(stage.id, build);
    }
    if (progressed) continue;
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await session.store.memo.save();
  return session.stages.filter((stage) => results.has(stage.id)).map((stage) => stripManifest(results.get(stage.id)!));
}

function stripManifest(result: BuildResult): StageResult {
  const { manifest: _manifest, ...rest } = result;
  return rest;
}
