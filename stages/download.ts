/**
 * Stage kind `download`: produces normalized task collections (`collections/<name>/collection.json` and
 * `tasks/<task>.jsonl`) and a text corpus (`corpus.jsonl`) in the output folder, from one source:
 *
 * - `{ source: "embedded", suiteVersion, seed, sizeProfile?: "default" | "smoke", sizes?: {…} }`: the offline suite
 *   built from npm packages. `suiteVersion` must equal `embeddedSuiteVersion`, so a suite change changes the key.
 * - `{ source: "p3" | "metaicl" | "sni" | "c4" | "t5-tokenizer", … }`: Hugging Face and GitHub sources, see
 *   `datasets/hub/sources.ts` for their parameters. `HF_ENDPOINT` and `HF_TOKEN` are read from the environment.
 *   P3 comes from PromptSource templates (`format: "templates"`, the default) or from the hub's TFRecord files
 *   (`format: "tfrecord"`, see `datasets/hub/p3-hub.ts`).
 *
 * Everything is written below the output folder; a failure throws, so the engine publishes nothing.
 */
import fs from "node:fs";
import path from "node:path";
import type { StageContext, StageKind, StageSummary } from "../src/engine/stage.js";
import { writeCollection, type CollectionData } from "../datasets/collection-files.js";
import { writeCorpus } from "../datasets/corpus-files.js";
import { joinInside } from "../datasets/safe-names.js";
import { buildEmbeddedSuite, embeddedSuiteSizes, embeddedSuiteVersion, type EmbeddedSuiteSizes } from "../datasets/embedded/suite.js";
import { runHubSource } from "../datasets/hub/sources.js";

/** Writes collections below `outputDir/collections/<collection name>`; returns their summary. */
export function writeCollections(outputDir: string, collections: CollectionData[]): StageSummary[] {
  return collections.map((collection) => {
    const folder = joinInside(path.join(outputDir, "collections"), collection.name);
    const index = writeCollection(folder, collection);
    return {
      name: index.name,
      family: index.family,
      folder: path.relative(outputDir, folder).split(path.sep).join("/"),
      trainTasks: index.tasks.filter((task) => task.role === "train").length,
      heldoutTasks: index.tasks.filter((task) => task.role === "heldout").length,
      examples: index.tasks.reduce((sum, task) => sum + task.trainCount + task.testCount, 0),
    };
  });
}

function embeddedSizes(params: StageContext["stage"]["params"]): EmbeddedSuiteSizes {
  const profile = params.sizeProfile ?? "default";
  if (profile !== "default" && profile !== "smoke") {
    throw new Error(`download: sizeProfile ${JSON.stringify(profile)} is invalid: expected "default" or "smoke"`);
  }
  const sizes: EmbeddedSuiteSizes = { ...embeddedSuiteSizes[profile] };
  const overrides = params.sizes ?? {};
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new Error(`download: sizes must be an object of integers`);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in sizes)) throw new Error(`download: sizes.${key} is not a size; known sizes: ${Object.keys(sizes).join(", ")}`);
    if (typeof value !== "number") throw new Error(`download: sizes.${key} = ${JSON.stringify(value)} is invalid: expected an integer`);
    sizes[key as keyof EmbeddedSuiteSizes] = value;
  }
  return sizes;
}

async function runEmbedded(context: StageContext): Promise<StageSummary> {
  const params = context.stage.params;
  if (params.suiteVersion !== embeddedSuiteVersion) {
    throw new Error(
      `download: suiteVersion ${JSON.stringify(params.suiteVersion)} does not match the embedded suite version ${embeddedSuiteVersion}; update the profile`,
    );
  }
  const seed = params.seed ?? 0;
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new Error(`download: seed ${JSON.stringify(seed)} is invalid: expected an integer`);
  const sizes = embeddedSizes(params);
  context.emit({ type: "log", level: "info", message: `building the embedded suite ${embeddedSuiteVersion} with seed ${seed}` });
  const suite = buildEmbeddedSuite(seed, sizes);
  const collections = writeCollections(context.outputDir, suite.collections);
  const corpus = writeCorpus(path.join(context.outputDir, "corpus.jsonl"), suite.corpus);
  return { source: "embedded", suiteVersion: embeddedSuiteVersion, seed, collections, corpus };
}

const downloadStage: StageKind = {
  async run(context: StageContext): Promise<StageSummary> {
    fs.mkdirSync(context.outputDir, { recursive: true });
    const source = context.stage.params.source;
    if (source === "embedded") return runEmbedded(context);
    if (typeof source !== "string") throw new Error(`download: params.source is missing`);
    return runHubSource(source, context);
  },
};

export default downloadStage;
