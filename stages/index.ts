/**
 * The entry point the engine reads the task graph from: the profile schema and the resolution of a validated
 * profile into stage definitions (see `src/experiments/graph.ts` for the graph itself).
 */

import fs from "node:fs";
import path from "node:path";

import type { StageDefinition } from "../src/engine/stage.js";
import { resolveStages } from "../src/experiments/graph.js";
import { profileSchema, type Profile } from "../profiles/schema.js";

export { profileSchema };
export type { Profile };

export interface ResolveOptions {
  /** Absolute path of the project root (the folder with package.json). */
  projectRoot: string;
}

/**
 * Resolves a profile that already passed `profileSchema` into the stage graph, ending with `report`. Throws a
 * `ProfileError` naming the field when the profile is valid JSON but describes an impossible graph.
 */
export async function resolvePipeline(profile: Profile, options: ResolveOptions): Promise<{ stages: StageDefinition[] }> {
  void options;
  return { stages: resolveStages(profile) };
}

/**
 * Copies the report of the run into `reports/<profile>/` (or `$HYPERTUNE_REPORTS/<profile>/`) whether the report
 * stage was built or taken from the cache, so the project copy always matches the run that just finished.
 */
export async function afterRun(results: { id: string; status: string; entryDir?: string }[], options: ResolveOptions): Promise<void> {
  const report = results.find((result) => result.id === "report");
  if (report?.entryDir === undefined) return;
  // Imported here so that loading the graph (every command does) stays cheap.
  const { copyReport, reportJsonFileName } = await import("../src/report/build.js");
  const written = JSON.parse(fs.readFileSync(path.join(report.entryDir, reportJsonFileName), "utf8")) as { profile: string };
  const reportsRoot = process.env.HYPERTUNE_REPORTS || path.join(options.projectRoot, "reports");
  copyReport(report.entryDir, path.join(path.resolve(reportsRoot), written.profile));
}
