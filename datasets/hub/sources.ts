/**
 * The `download` stage's Hugging Face and GitHub sources and their parameters. Unset parameters take the defaults
 * below (the public locations at pinned commits); tests set the base URLs to a local server.
 */
import fs from "node:fs";
import path from "node:path";
import type { JsonValue, StageContext, StageSummary } from "../../src/engine/stage.js";
import { writeCollection } from "../collection-files.js";
import { CorpusWriter } from "../corpus-files.js";
import { joinInside } from "../safe-names.js";
import { loadC4 } from "./c4.js";
import type { FetchContext } from "./fetch-context.js";
import { fetchToFile } from "./fetch-context.js";
import { DownloadError, hubAccess } from "./http.js";
import { parseSentencePieceModel, t5TokenizerJsonFromSentencePiece } from "../sentencepiece.js";
import type { TokenizerJson } from "../tokenizer.js";
import { loadMetaIcl } from "./metaicl.js";
import { loadP3, type P3DatasetOptions } from "./p3.js";
import { loadP3Hub, p3HubOptions } from "./p3-hub.js";
import { loadSni } from "./sni.js";

type Params = { [key: string]: JsonValue };

/** MetaICL at the commit whose `config/` the fixtures snapshot (2022-04-30). */
const metaIclConfigBase = "https://raw.githubusercontent.com/facebookresearch/MetaICL/ec0f1c199965f54d4b4d35556e5ca9ba0a6719ab";
/**
 * Super-NaturalInstructions at a commit whose task files have the final v2.5 format (instance ids, languages).
 * NOTE: whether this commit's `splits/default` lists 756 training and 119 test tasks was not checked offline, so
 * the loader logs the counts and warns when they differ.
 */
const sniBase = "https://raw.githubusercontent.com/allenai/natural-instructions/e0fd31052b21acea5bd95fb00253e1ee1f5d8259";
/** PromptSource templates at 2023-10-23. */
const promptsourceBase = "https://raw.githubusercontent.com/bigscience-workshop/promptsource/7dab96a3eeb3717cea633705135ebc488885d709/promptsource/templates";

function stringParam(params: Params, key: string, fallback?: string): string {
  const value = params[key] ?? fallback;
  if (typeof value !== "string" || value.length === 0) throw new Error(`download: params.${key} ${JSON.stringify(value)} is invalid: expected a string`);
  return value;
}

function integerParam(params: Params, key: string, fallback: number): number {
  const value = params[key] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new Error(`download: params.${key} ${JSON.stringify(value)} is invalid: expected an integer >= 0`);
  }
  return value;
}

function stringListParam(params: Params, key: string): string[] {
  const value = params[key] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw new Error(`download: params.${key} must be a list of strings`);
  return value as string[];
}

function p3Datasets(params: Params): P3DatasetOptions[] {
  const value = params.datasets;
  if (!Array.isArray(value) || value.length === 0) throw new Error("download: params.datasets must list the P3 datasets");
  return value.map((entry, index) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`download: params.datasets[${index}] must be an object`);
    const name = stringParam(entry, "name");
    const role = entry.role ?? "train";
    if (role !== "train" && role !== "heldout") throw new Error(`download: params.datasets[${index}].role must be "train" or "heldout"`);
    return {
      name,
      role,
      prompts: stringListParam(entry, "prompts"),
      rawFolder: stringParam(entry, "rawFolder", name),
      trainFile: typeof entry.trainFile === "string" ? entry.trainFile : undefined,
      testFile: stringParam(entry, "testFile", "validation.jsonl"),
      trainFromTest: integerParam(entry, "trainFromTest", 0),
      suffix: typeof entry.suffix === "string" ? entry.suffix : "",
    };
  });
}

/**
 * Fetches T5's `tokenizer.json`. With `file` set to `spiece.model`, or with `auto` when the repository has no
 * `tokenizer.json`, it converts the repository's `spiece.model` instead.
 */
async function fetchT5Tokenizer(
  context: FetchContext,
  base: string,
  file: string,
): Promise<{ json: TokenizerJson; file: string; sha256: string }> {
  if (file !== "spiece.model") {
    try {
      const fetched = await fetchToFile(context, `${base}/tokenizer.json`);
      return { json: JSON.parse(fs.readFileSync(fetched.file, "utf8")) as TokenizerJson, file: "tokenizer.json", sha256: fetched.sha256 };
    } catch (error) {
      if (file !== "auto" || !(error instanceof DownloadError) || !/not found/.test(error.message)) throw error;
      context.log("no tokenizer.json in the repository; converting spiece.model");
    }
  }
  const fetched = await fetchToFile(context, `${base}/spiece.model`);
  const model = parseSentencePieceModel(fs.readFileSync(fetched.file));
  return { json: t5TokenizerJsonFromSentencePiece(model), file: "spiece.model", sha256: fetched.sha256 };
}

/** Runs the hub source `source` for the `download` stage. */
export async function runHubSource(source: string, context: StageContext): Promise<StageSummary> {
  const params = context.stage.params;
  const access = hubAccess(typeof params.endpoint === "string" ? params.endpoint : undefined);
  const fetchContext: FetchContext = {
    downloadsFolder: path.join(context.workDir, "downloads"),
    access,
    signal: context.signal,
    log: (message) => context.emit({ type: "log", level: "info", message }),
  };
  const output = context.outputDir;

  if (source === "t5-tokenizer") {
    const repo = stringParam(params, "repo", "google/t5-v1_1-large");
    const revision = stringParam(params, "revision", "main");
    const fileParam = stringParam(params, "file", "auto");
    if (!["auto", "tokenizer.json", "spiece.model"].includes(fileParam)) {
      throw new Error(`download: params.file ${JSON.stringify(fileParam)} is invalid: expected "auto", "tokenizer.json" or "spiece.model"`);
    }
    const fetched = await fetchT5Tokenizer(fetchContext, `${access.endpoint}/${repo}/resolve/${revision}`, fileParam);
    fs.mkdirSync(path.join(output, "tokenizer"), { recursive: true });
    fs.writeFileSync(path.join(output, "tokenizer", "tokenizer.json"), JSON.stringify(fetched.json));
    return { source, repo, revision, file: fetched.file, sha256: fetched.sha256 };
  }
  if (source === "c4") {
    const options = {
      repo: stringParam(params, "repo", "allenai/c4"),
      revision: stringParam(params, "revision", "main"),
      shards: integerParam(params, "shards", 1),
      shardCount: integerParam(params, "shardCount", 1024),
      maxDocuments: integerParam(params, "maxDocuments", Number.MAX_SAFE_INTEGER),
    };
    const writer = new CorpusWriter(path.join(output, "corpus.jsonl"));
    try {
      await loadC4(fetchContext, options, writer);
    } catch (error) {
      writer.discard();
      throw error;
    }
    return { source, corpus: writer.finish() };
  }

  let collection;
  if (source === "metaicl") {
    collection = await loadMetaIcl(fetchContext, {
      configBaseUrl: stringParam(params, "configBaseUrl", metaIclConfigBase),
      dataBaseUrl: stringParam(params, "dataBaseUrl"),
      setting: stringParam(params, "setting", "hr_to_lr"),
      testKey: stringParam(params, "testKey", "test"),
      trainK: integerParam(params, "trainK", 16384),
      trainSeed: integerParam(params, "trainSeed", 100),
      testK: integerParam(params, "testK", 16),
      testSeed: integerParam(params, "testSeed", 100),
      maxTrainExamples: integerParam(params, "maxTrainExamples", 16384),
    });
  } else if (source === "sni") {
    collection = await loadSni(fetchContext, {
      baseUrl: stringParam(params, "baseUrl", sniBase),
      taskNames: stringListParam(params, "taskNames"),
      maxTrainInstances: integerParam(params, "maxTrainInstances", 100),
      testInstances: integerParam(params, "testInstances", 100),
    });
  } else if (source === "p3" && params.format === "tfrecord") {
    collection = await loadP3Hub(fetchContext, p3HubOptions(params));
  } else if (source === "p3") {
    if (params.format !== undefined && params.format !== "templates") {
      throw new Error(`download: params.format ${JSON.stringify(params.format)} is invalid: expected "templates" or "tfrecord"`);
    }
    collection = await loadP3(fetchContext, {
      templatesBaseUrl: stringParam(params, "templatesBaseUrl", promptsourceBase),
      rawBaseUrl: stringParam(params, "rawBaseUrl"),
      datasets: p3Datasets(params),
      maxTrainExamples: integerParam(params, "maxTrainExamples", 50000),
      maxTestExamples: integerParam(params, "maxTestExamples", 1000),
    });
  } else {
    throw new Error(`download: source ${JSON.stringify(source)} is invalid: expected embedded, p3, metaicl, sni, c4 or t5-tokenizer`);
  }
  const folder = joinInside(path.join(output, "collections"), collection.name);
  const index = writeCollection(folder, collection);
  return {
    source,
    collections: [{ name: index.name, family: index.family, folder: path.relative(output, folder).split(path.sep).join("/"), tasks: index.tasks.length }],
  };
}
