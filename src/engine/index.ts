/**
 * Public surface of the engine for the rest of the project: the report and stage kinds that read upstream
 * manifests. Importing this module loads neither stage kinds nor TensorFlow.js.
 */
export { readManifest, manifestFileName, logFileName, manifestSchema, type Manifest, type OutputFile } from "./manifest.js";
export type { KeyRecord, EngineFacts } from "./key-record.js";
export { canonicalJson, digestJson } from "./canonical.js";
export { loadProfile, profilePath, defaultProfileName, type LoadedProfile } from "./profile.js";
export { InputError } from "./errors.js";
export type { JsonValue, StageContext, StageDefinition, StageEvent, StageKind, StageResource, StageSummary } from "./stage.js";
