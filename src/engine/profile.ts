/**
 * Profiles: JSON files under `profiles/` that choose what a pipeline builds, validated against the pipeline
 * module's JSON schema. Every schema violation is reported with the file, the field, the value and the rule.
 */
import fs from "node:fs";
import path from "node:path";
import { canonicalJson, digestJson, sha256Hex } from "./canonical.js";
import { InputError } from "./errors.js";
import type { FileDigestMemo } from "./file-digest.js";
import { compileSchema, formatProblems } from "./json-schema.js";
import type { JsonValue } from "./stage.js";

export const defaultProfileName = "default";

export interface LoadedProfile {
  /** The name given on the command line (`smoke`) or the file's base name. */
  name: string;
  /** Absolute path of the profile file. */
  file: string;
  /** The file as messages name it: the path as given on the command line, or `profiles/<name>.json`. */
  shownPath: string;
  data: JsonValue;
  /** SHA-256 of the profile's canonical JSON: formatting and key order do not change it. */
  digest: string;
}

/** Path of a profile: a name means `profiles/<name>.json`; anything with a slash or `.json` is a path. */
export function profilePath(nameOrPath: string, projectRoot: string): string {
  return isProfilePath(nameOrPath) ? path.resolve(nameOrPath) : path.join(projectRoot, "profiles", `${nameOrPath}.json`);
}

function isProfilePath(nameOrPath: string): boolean {
  return nameOrPath.includes("/") || nameOrPath.includes(path.sep) || nameOrPath.endsWith(".json");
}

/**
 * Names a profile file in messages: a path as the user typed it; for a profile name, the file relative to the
 * working folder when it is below it, else the absolute path (a `../` path would be hard to recognize).
 */
function shownProfilePath(nameOrPath: string, file: string): string {
  if (isProfilePath(nameOrPath)) return nameOrPath;
  const relative = path.relative(process.cwd(), file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/**
 * Reads and validates a profile. `memo` (when given) remembers that an unchanged file passed an unchanged schema,
 * so a fully cached run does not load the validator.
 */
export async function loadProfile(
  nameOrPath: string,
  schema: object,
  options: { projectRoot: string; memo?: FileDigestMemo },
): Promise<LoadedProfile> {
  const file = profilePath(nameOrPath, options.projectRoot);
  const shown = shownProfilePath(nameOrPath, file);
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const available = availableProfiles(options.projectRoot);
    if (isProfilePath(nameOrPath)) throw new InputError(`Profile file ${shown} does not exist.${available}`);
    throw new InputError(`Profile "${nameOrPath}" not found: ${shown} does not exist.${available}`);
  }

  let data: JsonValue;
  try {
    data = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new InputError(`${shown}${syntaxErrorLocation(text, error as Error)}: invalid JSON: ${(error as Error).message}`);
  }

  const schemaId = `profile-schema-${sha256Hex(canonicalJson(schema as JsonValue))}`;
  if (options.memo === undefined || !(await options.memo.passedSchema(file, schemaId))) {
    const problems = (await compileSchema(schema))(data);
    if (problems.length > 0) {
      const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
      throw new InputError(`Invalid profile (${count}):\n${formatProblems(shown, problems)}`);
    }
    await options.memo?.recordPassedSchema(file, schemaId);
  }
  const name = nameOrPath.endsWith(".json") || nameOrPath.includes("/") ? path.basename(file, ".json") : nameOrPath;
  return { name, file, shownPath: shown, data, digest: digestJson(data) };
}

function availableProfiles(projectRoot: string): string {
  try {
    const names = fs
      .readdirSync(path.join(projectRoot, "profiles"))
      .filter((name) => name.endsWith(".json"))
      .map((name) => name.slice(0, -".json".length));
    return names.length > 0 ? ` Available profiles: ${names.join(", ")}.` : "";
  } catch {
    return "";
  }
}

/** `:LINE:COLUMN` of a JSON syntax error, from the character position in V8's message. */
function syntaxErrorLocation(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position === undefined) return "";
  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = Number(position) - before.lastIndexOf("\n");
  return `:${line}:${column}`;
}
