/**
 * Canonical JSON and SHA-256 helpers for cache keys. Two records that are equal as JSON values serialize to the
 * same text on every machine, so their digests can be compared across processes and hosts.
 */
import { createHash } from "node:crypto";
import type { JsonValue } from "./stage.js";

/** Hex-encoded SHA-256 of a stage key record; branded so it is not mixed up with file digests. */
export type StageKey = string & { readonly __brand: "StageKey" };
/** Hex-encoded SHA-256 of a file's contents. */
export type FileDigest = string & { readonly __brand: "FileDigest" };

/**
 * Serializes `value` as JSON with object keys sorted by UTF-16 code unit (not by locale, whose collation differs
 * between machines) and no whitespace. Rejects values JSON cannot represent exactly.
 */
export function canonicalJson(value: JsonValue, where = "$"): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`Cannot serialize ${String(value)} at ${where}: keys need finite numbers.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => canonicalJson(item, `${where}[${index}]`)).join(",")}]`;
  }
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(compareCodeUnits);
    const fields: string[] = [];
    for (const key of keys) {
      const item = value[key];
      // An undefined field is absent in JSON; dropping it keeps `{a: undefined}` and `{}` the same key.
      if (item === undefined) continue;
      fields.push(`${JSON.stringify(key)}:${canonicalJson(item, `${where}.${key}`)}`);
    }
    return `{${fields.join(",")}}`;
  }
  throw new Error(`Cannot serialize a value of type ${typeof value} at ${where}.`);
}

/** Orders strings by UTF-16 code unit, independent of the locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

/** SHA-256 of the canonical serialization of `value`. */
export function digestJson(value: JsonValue): string {
  return sha256Hex(canonicalJson(value));
}
