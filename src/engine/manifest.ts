/**
 * The manifest of a published cache entry: the key record, every output file with its size and SHA-256, timings
 * and the summary metrics the stage returned. It is written last, so an entry without one is incomplete.
 */
import fs from "node:fs";
import path from "node:path";
import { digestJson } from "./canonical.js";
import type { KeyRecord } from "./key-record.js";
import type { StageSummary } from "./stage.js";
import { compileSchema, formatProblems, type SchemaValidator } from "./json-schema.js";

export const manifestFileName = "manifest.json";
export const logFileName = "log.jsonl";
/** Files of an entry that are not outputs of the stage. */
export const entryBookkeepingFiles: readonly string[] = [manifestFileName, logFileName];

export interface OutputFile {
  /** Path relative to the entry folder, with `/` separators. */
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  manifestVersion: 1;
  stage: string;
  key: string;
  record: KeyRecord;
  outputs: OutputFile[];
  /** Digest of `outputs`; downstream keys use it, so identical outputs keep downstream stages cached. */
  outputsDigest: string;
  timings: { started: string; finished: string; seconds: number };
  summary: StageSummary;
  /** Facts about the run that built the entry; not part of the key. */
  provenance: { profile: string; profileDigest: string; host: string; executor: string };
}

const fileDigestSchema = { type: "string", pattern: "^[0-9a-f]{64}$" };

/** JSON schema of `manifest.json`. */
export const manifestSchema = {
  $id: "hypertune-bench/manifest/1",
  type: "object",
  additionalProperties: false,
  required: ["manifestVersion", "stage", "key", "record", "outputs", "outputsDigest", "timings", "summary", "provenance"],
  properties: {
    manifestVersion: { const: 1 },
    stage: { type: "string", minLength: 1 },
    key: fileDigestSchema,
    record: {
      type: "object",
      additionalProperties: false,
      required: ["recordVersion", "kind", "params", "upstream", "code", "engine"],
      properties: {
        recordVersion: { const: 1 },
        kind: { type: "string" },
        params: { type: "object" },
        upstream: { type: "object", additionalProperties: fileDigestSchema },
        code: { type: "object", additionalProperties: fileDigestSchema },
        engine: {
          type: "object",
          additionalProperties: false,
          required: ["node", "packages", "backend"],
          properties: {
            node: { type: "string" },
            packages: { type: "object", additionalProperties: { type: "string" } },
            backend: { type: ["string", "null"] },
          },
        },
      },
    },
    outputs: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["path", "size", "sha256"],
        properties: { path: { type: "string", minLength: 1 }, size: { type: "integer", minimum: 0 }, sha256: fileDigestSchema },
      },
    },
    outputsDigest: fileDigestSchema,
    timings: {
      type: "object",
      additionalProperties: false,
      required: ["started", "finished", "seconds"],
      properties: { started: { type: "string" }, finished: { type: "string" }, seconds: { type: "number", minimum: 0 } },
    },
    summary: { type: "object" },
    provenance: {
      type: "object",
      additionalProperties: false,
      required: ["profile", "profileDigest", "host", "executor"],
      properties: {
        profile: { type: "string" },
        profileDigest: { type: "string" },
        host: { type: "string" },
        executor: { type: "string" },
      },
    },
  },
} as const;

/** Digest of an output list, independent of the order the files were listed in. */
export function outputsDigest(outputs: OutputFile[]): string {
  const sorted = [...outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return digestJson(sorted.map((file) => ({ path: file.path, size: file.size, sha256: file.sha256 })));
}

let validator: Promise<SchemaValidator> | undefined;

/** Problems of `data` as a manifest, one line each naming the field; empty when it is valid. */
export async function manifestProblems(file: string, data: unknown): Promise<string[]> {
  validator ??= compileSchema(manifestSchema);
  const problems = (await validator)(data);
  const lines = problems.length === 0 ? [] : formatProblems(file, problems).split("\n");
  if (lines.length === 0) {
    const manifest = data as Manifest;
    if (outputsDigest(manifest.outputs) !== manifest.outputsDigest) {
      lines.push(`${file}: field /outputsDigest does not match the digest of /outputs`);
    }
  }
  return lines;
}

/**
 * Reads and validates the manifest in an entry folder (`artifacts/<stage-id>/<key>/`). Throws an error naming
 * the file and every invalid field. For the report and other readers of upstream outputs.
 */
export async function readManifest(entryDir: string): Promise<Manifest> {
  const file = path.join(entryDir, manifestFileName);
  const data = JSON.parse(await fs.promises.readFile(file, "utf8")) as unknown;
  const problems = await manifestProblems(file, data);
  if (problems.length > 0) throw new Error(`Invalid manifest:\n${problems.join("\n")}`);
  return data as Manifest;
}
