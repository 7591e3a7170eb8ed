/**
 * Task names and file paths that come from downloaded data. A name read from a config file, a split list or a
 * template is only used as a path segment after it passed these checks, so it can never write outside its folder.
 */
import path from "node:path";

const safeNamePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Whether `name` is usable as a file name: `[A-Za-z0-9._-]`, no leading dot, at most 200 characters. */
export function isSafeName(name: string): boolean {
  return name.length <= 200 && safeNamePattern.test(name);
}

/** Throws unless `name` is a safe file name; `what` says where the name came from. */
export function assertSafeName(name: string, what: string): string {
  if (!isSafeName(name)) {
    throw new Error(
      `${what}: invalid name ${JSON.stringify(name)}; names must match [A-Za-z0-9._-] without a leading dot`,
    );
  }
  return name;
}

/**
 * Turns a source name such as `super_glue/cb`, `inst:ag_news:classify` or `task1146_country_capital` into a safe
 * file name by replacing every other character with `_`. Two different names may collide, so callers check that the
 * names they map stay distinct (see `toSafeNames`).
 */
export function toSafeName(name: string): string {
  const replaced = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return replaced.length === 0 ? "_" : replaced.slice(0, 200);
}

/** Maps source names to safe, distinct file names; throws when two names map to the same file name. */
export function toSafeNames(names: readonly string[], what: string): Map<string, string> {
  const result = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const name of names) {
    const safe = toSafeName(name);
    const owner = owners.get(safe);
    if (owner !== undefined && owner !== name) {
      throw new Error(`${what}: names ${JSON.stringify(owner)} and ${JSON.stringify(name)} both map to file ${safe}`);
    }
    owners.set(safe, name);
    result.set(name, safe);
  }
  return result;
}

/**
 * Joins `segments` below `root` and throws if the result is not inside `root` (for example through `..`, an
 * absolute segment or an empty segment).
 */
export function joinInside(root: string, ...segments: string[]): string {
  for (const segment of segments) {
    for (const part of segment.split("/")) {
      assertSafeName(part, `path segment of ${JSON.stringify(segment)}`);
    }
  }
  const resolvedRoot = path.resolve(root);
  const joined = path.resolve(resolvedRoot, ...segments);
  if (joined !== resolvedRoot && !joined.startsWith(resolvedRoot + path.sep)) {
    throw new Error(`path ${JSON.stringify(segments.join("/"))} leaves folder ${resolvedRoot}`);
  }
  return joined;
}
