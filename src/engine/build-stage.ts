/**
 * Builds one stage key under its lock: run the trainer into a staging folder, record every output in the
 * manifest, then publish with a rename. The order of steps is what keeps the cache consistent when a run is
 * killed at any point: the manifest is written last, and nothing is visible under the entry path before the
 * rename.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Executor } from "../executor/executor.js";
import { protocolVersion, type TrainerSpec } from "../executor/protocol.js";
import { listFiles } from "./artifact-store.js";
import type { StageKey } from "./canonical.js";
import { acquireLock, type HeldLock } from "./lock.js";
import { entryBookkeepingFiles, logFileName, manifestFileName, outputsDigest, type Manifest, type OutputFile } from "./manifest.js";
import { compiledPath } from "./project.js";
import type { KeyRecord } from "./key-record.js";
import type { RunReporter, StageResult } from "./reporter.js";
import type { Session } from "./session.js";
import type { StageDefinition, StageEvent } from "./stage.js";

export interface BuildRequest {
  stage: StageDefinition;
  key: StageKey;
  record: KeyRecord;
  /** Published folder of each upstream stage. */
  inputs: { [stageId: string]: string };
  /** Rebuild even if a valid entry exists (`--force`). */
  force: boolean;
  /** `CUDA_VISIBLE_DEVICES` for the child: one device index, or empty for none. */
  cudaVisibleDevices: string;
}

export interface BuildContext {
  session: Session;
  executor: Executor;
  reporter: RunReporter;
  signal: AbortSignal;
  /** Start of the pipeline run as an ISO 8601 string, passed to trainers as `HYPERTUNE_RUN_STARTED`. */
  runStarted: string;
}

export type BuildResult = StageResult & { manifest?: Manifest };

export async function buildStage(request: BuildRequest, context: BuildContext): Promise<BuildResult> {
  const { stage, key } = request;
  const { store } = context.session;
  const lock = await acquireLock(store.lockFile(stage.id, key), {
    signal: context.signal,
    onWait: (holder) => context.reporter.waitingForLock(stage.id, holder),
  });
  try {
    // Another pipeline may have built this key while we waited for the lock.
    if (!request.force) {
      const check = await store.checkEntry(stage.id, key);
      if (check.state === "valid") return { id: stage.id, status: "cached", entryDir: check.dir, manifest: check.manifest };
    }
    await store.removeStaleStagingDirs(stage.id, key);
    return await runAndPublish(request, context, lock);
  } finally {
    // The digest memo is saved once at the end of the run: losing it to a kill only costs rehashing.
    await lock.release();
  }
}

async function runAndPublish(request: BuildRequest, context: BuildContext, lock: HeldLock): Promise<BuildResult> {
  const { stage, key } = request;
  const { session, executor, reporter } = context;
  const store = session.store;
  const stagingDir = await store.createStagingDir(stage.id, key);
  const workDir = store.workDir(stage.id, key);
  await fs.promises.mkdir(workDir, { recursive: true });
  const logFile = path.join(workDir, logFileName);
  const started = new Date();

  const spec: TrainerSpec = {
    protocolVersion,
    stage,
    kindModule: stage.kindModule ?? compiledPath(session.options.projectRoot, `stages/${stage.kind}.ts`),
    outputDir: stagingDir,
    workDir,
    inputs: request.inputs,
    backend: session.keys.backendName(),
    projectRoot: session.options.projectRoot,
  };
  // Not part of the key: a stage built in an earlier run stays cached whatever time this run started.
  const env = { HYPERTUNE_BACKEND: spec.backend, CUDA_VISIBLE_DEVICES: request.cudaVisibleDevices, HYPERTUNE_RUN_STARTED: context.runStarted };

  reporter.started(stage.id, key);
  const onEvent = (event: StageEvent): void => {
    // Appended synchronously so the log keeps event order and survives a kill of this process.
    fs.appendFileSync(logFile, JSON.stringify({ ...event, at: new Date().toISOString() }) + "\n");
    if (event.type === "started" && executor.local) lock.recordTrainer(event.pid);
    reporter.event(event);
  };
  const outcome = await executor.execute({ spec, specFile: path.join(workDir, "spec.json"), env }, onEvent, context.signal);
  const seconds = (Date.now() - started.getTime()) / 1000;

  if (outcome.status === "failed") {
    await fs.promises.rm(stagingDir, { recursive: true, force: true });
    const status = outcome.reason === "cancelled" ? "cancelled" : "failed";
    return { id: stage.id, status, message: `${outcome.message} (log: ${logFile})`, stderrTail: outcome.stderrTail, seconds };
  }

  const outputs: OutputFile[] = [];
  for (const file of (await listFiles(stagingDir)).sort()) {
    if (entryBookkeepingFiles.includes(file)) {
      await fs.promises.rm(stagingDir, { recursive: true, force: true });
      return { id: stage.id, status: "failed", message: `the stage wrote ${file}, a name reserved for the engine`, seconds };
    }
    const facts = await store.memo.digest(path.join(stagingDir, file));
    outputs.push({ path: file, size: facts.size, sha256: facts.sha256 });
  }
  const manifest: Manifest = {
    manifestVersion: 1,
    stage: stage.id,
    key,
    record: request.record,
    outputs,
    outputsDigest: outputsDigest(outputs),
    timings: { started: started.toISOString(), finished: new Date().toISOString(), seconds },
    summary: outcome.summary,
    provenance: {
      profile: session.profile.name,
      profileDigest: session.profile.digest,
      host: os.hostname(),
      executor: executor.name,
    },
  };
  await fs.promises.copyFile(logFile, path.join(stagingDir, logFileName));
  await fs.promises.writeFile(path.join(stagingDir, manifestFileName), JSON.stringify(manifest, null, 2) + "\n");

  if (!lock.stillHeld()) {
    await fs.promises.rm(stagingDir, { recursive: true, force: true });
    return { id: stage.id, status: "failed", message: "another process took over this stage's lock; not publishing", seconds };
  }
  const entryDir = await store.publish(stagingDir, stage.id, key);
  await fs.promises.rm(workDir, { recursive: true, force: true });
  return { id: stage.id, status: "built", seconds, entryDir, manifest };
}
