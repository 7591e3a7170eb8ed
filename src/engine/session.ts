/**
 * What every command that needs the stage graph opens first: the pipeline module, the validated profile, the
 * ordered stages, the artifacts folder and the key builder.
 */
import { ArtifactStore, type EntryCheck } from "./artifact-store.js";
import type { StageKey } from "./canonical.js";
import { orderStages } from "./graph.js";
import { stageKey, type KeyRecord } from "./key-record.js";
import { InputError } from "./errors.js";
import { loadPipelineModule, type PipelineModule } from "./pipeline-module.js";
import { loadProfile, type LoadedProfile } from "./profile.js";
import type { StageDefinition } from "./stage.js";
import { StageKeyBuilder } from "./stage-keys.js";

export interface SessionOptions {
  projectRoot: string;
  pipelineFile: string;
  /** Profile name (`profiles/<name>.json`) or path. */
  profile: string;
  artifactsDir: string;
  /** `tensorflow`, `wasm`, `cpu` or `auto`. */
  backend: string;
}

export interface Session {
  options: SessionOptions;
  profile: LoadedProfile;
  /** Stages in topological order. */
  stages: StageDefinition[];
  byId: Map<string, StageDefinition>;
  store: ArtifactStore;
  keys: StageKeyBuilder;
  pipeline: PipelineModule;
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const store = new ArtifactStore(options.artifactsDir);
  const pipeline = await loadPipelineModule(options.pipelineFile);
  const profile = await loadProfile(options.profile, pipeline.profileSchema, { projectRoot: options.projectRoot, memo: store.memo });
  const resolved = await resolveProfile(pipeline, profile, options);
  const stages = orderStages(resolved.stages, options.pipelineFile);
  const keys = new StageKeyBuilder({ projectRoot: options.projectRoot, memo: store.memo, backend: options.backend });
  return { options, profile, stages, byId: new Map(stages.map((stage) => [stage.id, stage])), store, keys, pipeline };
}

/**
 * Calls the pipeline module; its errors about the profile (named `ProfileError`) are input errors, reported with
 * the profile file as the user named it. A leading `profile "NAME": ` in their message is dropped, because the
 * JSON `name` field need not match the file.
 */
async function resolveProfile(pipeline: PipelineModule, profile: LoadedProfile, options: SessionOptions): Promise<{ stages: StageDefinition[] }> {
  try {
    return await pipeline.resolvePipeline(profile.data, { projectRoot: options.projectRoot });
  } catch (error) {
    if (error instanceof Error && (error.name === "ProfileError" || error instanceof InputError)) {
      const message = error.message.replace(/^profile "[^"]*": /, "");
      throw new InputError(`Invalid profile ${profile.shownPath}: ${message}`);
    }
    throw error;
  }
}

export interface KeyedStage {
  key: StageKey;
  record: KeyRecord;
  check: EntryCheck;
}

/** Computes the key of `stage` from its upstream outputs digests and checks the cache entry of that key. */
export async function keyStage(
  session: Session,
  stage: StageDefinition,
  upstreamDigests: { [stageId: string]: string },
): Promise<KeyedStage> {
  const record = await session.keys.record(stage, upstreamDigests);
  const key = stageKey(record);
  return { key, record, check: await session.store.checkEntry(stage.id, key) };
}
