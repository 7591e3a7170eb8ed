/**
 * The entry point the engine reads the task graph from: the profile schema and the resolution of a validated
 * profile into stage definitions (see `src/experiments/graph.ts` for the graph itself).
 */

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
