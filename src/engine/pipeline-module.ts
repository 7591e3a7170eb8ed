/**
 * The pipeline module turns a profile into the stage graph. It is a compiled ES module exporting
 *
 * - `profileSchema`: the JSON schema that profiles must satisfy, and
 * - `resolvePipeline(profile, { projectRoot })`: returns (or resolves to) `{ stages: StageDefinition[] }`, and
 *   optionally
 * - `afterRun(results, { projectRoot })`: called once after `run` with the outcome of every stage, including cached
 *   ones, for work outside the cache such as copying a report into the project (Snakemake's `onsuccess`).
 *
 * The default is `dist/stages/index.js`; `--pipeline FILE` selects another (tests define small graphs this way).
 * The module must stay cheap to import: a fully cached run imports it, but no stage kind and no TensorFlow.js.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "./errors.js";
import type { StageDefinition } from "./stage.js";

export interface PipelineModule {
  profileSchema: object;
  resolvePipeline(
    profile: unknown,
    options: { projectRoot: string },
  ): Promise<{ stages: StageDefinition[] }> | { stages: StageDefinition[] };
  afterRun?(results: PipelineRunResult[], options: { projectRoot: string }): Promise<void> | void;
}

/** Outcome of one stage, as `afterRun` receives it. */
export interface PipelineRunResult {
  id: string;
  status: string;
  /** Published entry folder, for a built or cached stage. */
  entryDir?: string;
}

export async function loadPipelineModule(file: string): Promise<PipelineModule> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) {
    throw new InputError(`Pipeline module ${absolute} does not exist. Run \`npm run build\` first, or pass --pipeline FILE.`);
  }
  const loaded = (await import(pathToFileURL(absolute).href)) as Partial<PipelineModule>;
  if (typeof loaded.profileSchema !== "object" || loaded.profileSchema === null) {
    throw new InputError(`Pipeline module ${absolute} does not export a \`profileSchema\` object.`);
  }
  if (typeof loaded.resolvePipeline !== "function") {
    throw new InputError(`Pipeline module ${absolute} does not export a \`resolvePipeline\` function.`);
  }
  return loaded as PipelineModule;
}
