/**
 * What other parts of the project (the report, stage kinds reading upstream outputs) use from the engine.
 * Importing this module loads neither stage kinds nor TensorFlow.js.
 */
export { readManifest, manifestFileName, logFileName, manifestSchema, type Manifest, type OutputFile } from "./manifest.js";
export type { KeyRecord, EngineFacts } from "./key-record.js";
export { canonicalJson, digestJson } from "./canonical.js";
export { loadProfile, profilePath, defaultProfileName, type LoadedProfile } from "./profile.js";
export { InputError } from "./errors.js";
export type { JsonValue, StageContext, StageDefinition, StageEvent, StageKind, StageResource, StageSummary } from "./stage.js";
