/**
 * P3 as released on the Hugging Face hub (dataset `bigscience/P3`): the prompted examples T0 was trained on, cached
 * by seqio as one folder per dataset-prompt, `data/<subset>/<split>.tfrecord-<shard>-of-<shards>` next to
 * `info.<split>.json` (feature names and shard count). Each record is a `tf.train.Example` with
 * `inputs_pretokenized`, `targets_pretokenized` and, for tasks with answer choices, `answer_choices`.
 */
import fs from "node:fs";
import { Ajv } from "ajv";
import type { JsonValue } from "../../src/engine/stage.js";
import type { CollectionData, TaskData } from "../collection-files.js";
import { toSafeNames } from "../safe-names.js";
import type { Example } from "../types.js";
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { bytesValues, decodeTfExample, ProtobufError, type TfExample } from "./p3-tf-example.js";
import { readTfRecords, recordError } from "./p3-tfrecord.js";

export interface P3HubSubset {
  /** Subset (dataset-prompt) name as on the hub, e.g. `super_glue_cb_GPT_3_style`. */
  name: string;
  role: "train" | "heldout";
  /** Split read as training examples, or undefined for none. */
  trainSplit: string | undefined;
  /** Split read as test examples, or undefined for none. */
  testSplit: string | undefined;
}

export interface P3HubOptions {
  /** Dataset repository, `bigscience/P3` unless a mirror is used. */
  repo: string;
  /** Branch, tag or commit of the repository. */
  revision: string;
  subsets: P3HubSubset[];
  maxTrainExamples: number;
  maxTestExamples: number;
}

const nonEmptyString = { type: "string", minLength: 1 };
const positiveInteger = { type: "integer", minimum: 1 };

/** JSON schema of the `download` stage parameters `{ source: "p3", format: "tfrecord", … }`. */
export const p3HubParamsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["source", "format", "subsets"],
  properties: {
    source: { const: "p3" },
    format: { const: "tfrecord" },
    repo: nonEmptyString,
    revision: nonEmptyString,
    endpoint: nonEmptyString,
    subsets: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "role"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9._-]*$" },
          role: { enum: ["train", "heldout"] },
          splits: {
            type: "object",
            additionalProperties: false,
            properties: { train: nonEmptyString, test: nonEmptyString },
          },
        },
      },
    },
    maxTrainExamples: positiveInteger,
    maxTestExamples: positiveInteger,
  },
} as const;

const validateParams = new Ajv({ allErrors: false }).compile(p3HubParamsSchema);

interface SubsetParams {
  name: string;
  role: "train" | "heldout";
  splits?: { train?: string; test?: string };
}

/**
 * Checks the stage parameters against `p3HubParamsSchema` and fills in the defaults: repository `bigscience/P3` at
 * `main`, splits `train` and `validation` when a subset lists no `splits`, and at most 50000 training and 1000 test
 * examples per subset.
 */
export function p3HubOptions(params: { [key: string]: JsonValue }): P3HubOptions {
  if (!validateParams(params)) {
    const error = validateParams.errors?.[0];
    const where = error?.instancePath ? `params${error.instancePath.replace(/\//g, ".")}` : "params";
    const allowed = error?.params && "allowedValues" in error.params ? ` (${JSON.stringify(error.params.allowedValues)})` : "";
    const extra = error?.params && "additionalProperty" in error.params ? ` "${String(error.params.additionalProperty)}"` : "";
    throw new Error(`download: ${where} is invalid for the P3 tfrecord source: ${error?.message ?? "unknown error"}${extra}${allowed}`);
  }
  const subsets = (params.subsets as unknown as SubsetParams[]).map((subset) => ({
    name: subset.name,
    role: subset.role,
    trainSplit: subset.splits ? subset.splits.train : "train",
    testSplit: subset.splits ? subset.splits.test : "validation",
  }));
  return {
    // NOTE: the default follows the moving `main` branch, so a profile that must be reproducible pins `revision` to a commit.
    repo: typeof params.repo === "string" ? params.repo : "bigscience/P3",
    revision: typeof params.revision === "string" ? params.revision : "main",
    subsets,
    maxTrainExamples: typeof params.maxTrainExamples === "number" ? params.maxTrainExamples : 50000,
    maxTestExamples: typeof params.maxTestExamples === "number" ? params.maxTestExamples : 1000,
  };
}

interface SplitInfo {
  features: string[];
  shards: number;
}

function readSplitInfo(file: string, label: string): SplitInfo {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${label}: invalid JSON (${(error as Error).message}); the file may be truncated`);
  }
  const info = value as { features?: unknown; num_shards?: unknown } | null;
  if (typeof info?.features !== "object" || info.features === null || Array.isArray(info.features)) {
    throw new Error(`${label}: field "features" is missing or not an object`);
  }
  const shards = info.num_shards ?? 1;
  if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1) throw new Error(`${label}: field "num_shards" ${JSON.stringify(shards)} is invalid`);
  return { features: Object.keys(info.features), shards };
}

function shardFileName(split: string, shard: number, shards: number): string {
  const pad = (value: number): string => String(value).padStart(5, "0");
  return `${split}.tfrecord-${pad(shard)}-of-${pad(shards)}`;
}

function singleString(example: TfExample, name: string): string {
  const feature = example.get(name);
  if (!feature) throw new ProtobufError(`feature "${name}" is missing`);
  const values = bytesValues(feature, name);
  if (values.length !== 1) throw new ProtobufError(`feature "${name}" has ${values.length} values, expected 1`);
  return values[0]!;
}

/** Converts one record into an example. Throws `ProtobufError` for a malformed record or a target outside the choices. */
function recordToExample(data: Uint8Array, split: Example["split"]): Example {
  const record = decodeTfExample(data);
  const example: Example = {
    input: singleString(record, "inputs_pretokenized"),
    // Rendered targets may keep whitespace from the template, and rank classification compares stripped strings.
    target: singleString(record, "targets_pretokenized").trim(),
    split,
  };
  const choicesFeature = record.get("answer_choices");
  if (choicesFeature) {
    const choices = bytesValues(choicesFeature, "answer_choices").map((choice) => choice.trim());
    if (choices.length > 0) {
      if (!choices.includes(example.target)) throw new ProtobufError(`target ${JSON.stringify(example.target)} is not one of the answer choices ${JSON.stringify(choices)}`);
      example.choices = choices;
    }
  }
  return example;
}

async function readSplit(context: FetchContext, options: P3HubOptions, subset: string, split: string, role: Example["split"], limit: number): Promise<Example[]> {
  const base = joinUrl(context.access.endpoint, "datasets", ...options.repo.split("/"), "resolve", options.revision, "data", subset);
  const infoLabel = `${options.repo} data/${subset}/info.${split}.json`;
  const { file: infoFile } = await fetchToFile(context, `${base}/${encodeURIComponent(`info.${split}.json`)}`);
  const info = readSplitInfo(infoFile, infoLabel);
  for (const feature of ["inputs_pretokenized", "targets_pretokenized"]) {
    if (!info.features.includes(feature)) throw new Error(`${infoLabel}: feature "${feature}" is not listed, so this is not a P3 text subset`);
  }
  if (info.features.includes("is_correct")) {
    throw new Error(
      `${infoLabel}: subset ${subset} is a scoring variant with one record per answer choice. List the subset without "_score_eval" instead, whose records carry answer_choices`,
    );
  }

  const examples: Example[] = [];
  for (let shard = 0; shard < info.shards && examples.length < limit; shard++) {
    const name = shardFileName(split, shard, info.shards);
    const label = `${options.repo} data/${subset}/${name}`;
    const { file } = await fetchToFile(context, `${base}/${encodeURIComponent(name)}`);
    for (const record of readTfRecords(file, label)) {
      if (examples.length >= limit) break;
      try {
        examples.push(recordToExample(record.data, role));
      } catch (error) {
        if (error instanceof ProtobufError) throw recordError(label, record.index, record.offset, error.message);
        throw error;
      }
    }
  }
  return examples;
}

/** Loads the listed P3 subsets from the hub's TFRecord files as collection `p3`, one task per subset. */
export async function loadP3Hub(context: FetchContext, options: P3HubOptions): Promise<CollectionData> {
  const safeNames = toSafeNames(
    options.subsets.map((subset) => subset.name),
    "P3 subsets",
  );
  const tasks: TaskData[] = [];
  for (const subset of options.subsets) {
    if (tasks.some((task) => task.info.name === safeNames.get(subset.name))) throw new Error(`P3 subset "${subset.name}" is listed twice`);
    const examples = [
      ...(subset.trainSplit ? await readSplit(context, options, subset.name, subset.trainSplit, "train", options.maxTrainExamples) : []),
      ...(subset.testSplit ? await readSplit(context, options, subset.name, subset.testSplit, "test", options.maxTestExamples) : []),
    ];
    context.log(`P3 subset ${subset.name}: ${examples.length} examples`);
    tasks.push({
      info: {
        name: safeNames.get(subset.name)!,
        role: subset.role,
        metric: "accuracy",
        taskType: examples.some((example) => example.choices) ? "multi-choice" : "free-form",
        source: `${options.repo}@${options.revision} data/${subset.name}`,
      },
      examples,
    });
  }
  return { family: "p3", name: "p3", tasks };
}
