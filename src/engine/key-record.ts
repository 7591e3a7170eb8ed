/**
 * The record a stage key is the SHA-256 of. It is stored in the manifest beside the artifact, so a cache miss is
 * explained by diffing two records (see `explain.ts`) instead of guessing.
 */
import { digestJson, type StageKey } from "./canonical.js";
import type { JsonValue } from "./stage.js";

export interface EngineFacts {
  /** `process.version` of the Node that runs the stage. */
  node: string;
  /** Versions of the npm packages the stage's code files import, by package name. */
  packages: { [name: string]: string };
  /** TensorFlow.js backend, or null for a stage that does not import TensorFlow.js. */
  backend: string | null;
}

export interface KeyRecord {
  recordVersion: 1;
  kind: string;
  params: { [key: string]: JsonValue };
  /** Digest of each upstream stage's published outputs (not its key), by stage id. */
  upstream: { [stageId: string]: string };
  /** SHA-256 of each code file, by path relative to the project root. */
  code: { [relativePath: string]: string };
  engine: EngineFacts;
}

export function stageKey(record: KeyRecord): StageKey {
  return digestJson(record as unknown as JsonValue) as StageKey;
}
