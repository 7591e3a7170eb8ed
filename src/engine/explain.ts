/**
 * Explains why a stage is stale: the differences between the key record it needs now and the record of its
 * newest cached entry, as short phrases naming the parameter, code file, upstream stage or engine fact.
 */
import type { KeyRecord } from "./key-record.js";
import { renderValue } from "./json-schema.js";
import type { JsonValue } from "./stage.js";

export function explainDifferences(
  stageId: string,
  cached: KeyRecord,
  current: KeyRecord,
  options: { ignoreUpstream?: boolean } = {},
): string[] {
  const reasons: string[] = [];
  if (cached.kind !== current.kind) reasons.push(`kind ${cached.kind} -> ${current.kind}`);
  // Parameters are named by their path inside the stage's params, which is what the engine sees; the pipeline
  // module may have derived them from differently named profile fields.
  diffJson(cached.params, current.params, [], (keys, before, after) => {
    const name = keys.length === 0 ? "parameters" : `parameter ${dottedPath(keys)}`;
    reasons.push(`${name} of stage ${stageId}: ${show(before)} -> ${show(after)}`);
  });
  diffMaps(cached.code, current.code, (file, change) => reasons.push(`code file ${file} ${change}`));
  if (options.ignoreUpstream !== true) {
    diffMaps(cached.upstream, current.upstream, (id, change) =>
      reasons.push(change === "changed" ? `output of upstream ${id} changed` : `upstream ${id} ${change}`),
    );
  }
  if (cached.engine.node !== current.engine.node) reasons.push(`Node ${cached.engine.node} -> ${current.engine.node}`);
  if (cached.engine.backend !== current.engine.backend) {
    reasons.push(`backend ${cached.engine.backend ?? "none"} -> ${current.engine.backend ?? "none"}`);
  }
  const packages = new Set([...Object.keys(cached.engine.packages), ...Object.keys(current.engine.packages)]);
  for (const name of [...packages].sort()) {
    const before = cached.engine.packages[name];
    const after = current.engine.packages[name];
    if (before !== after) reasons.push(`package ${name} ${before ?? "unused"} -> ${after ?? "unused"}`);
  }
  return reasons;
}

function show(value: JsonValue | undefined): string {
  return value === undefined ? "(absent)" : renderValue(value)!;
}

function diffMaps(before: { [name: string]: string }, after: { [name: string]: string }, report: (name: string, change: string) => void): void {
  for (const name of Object.keys({ ...before, ...after }).sort()) {
    if (!(name in before)) report(name, "added");
    else if (!(name in after)) report(name, "removed");
    else if (before[name] !== after[name]) report(name, "changed");
  }
}

/** `optimizer.lr`; a key that is not a plain identifier is quoted, as in `schedule["warmup-steps"]`. */
function dottedPath(keys: string[]): string {
  return keys.map((key, index) => (/^[A-Za-z_$][\w$]*$/.test(key) ? (index === 0 ? key : `.${key}`) : `[${JSON.stringify(key)}]`)).join("");
}

/** Calls `report` with the key path of every leaf (or type change) where the two values differ. */
function diffJson(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  keys: string[],
  report: (keys: string[], before: JsonValue | undefined, after: JsonValue | undefined) => void,
): void {
  const bothObjects =
    typeof before === "object" && before !== null && !Array.isArray(before) && typeof after === "object" && after !== null && !Array.isArray(after);
  if (bothObjects) {
    for (const key of Object.keys({ ...before, ...after }).sort()) {
      diffJson(before[key], after[key], [...keys, key], report);
    }
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) report(keys, before, after);
}
