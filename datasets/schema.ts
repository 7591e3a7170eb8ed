/**
 * JSON schemas of the normalized task data (see `types.ts`). Every loader validates what it writes against them, and
 * `readCollection` validates what it reads, so a malformed record is reported with its file and line.
 */
import { Ajv, type ValidateFunction } from "ajv";
import type { CollectionIndex, Example } from "./types.js";

const stringList = { type: "array", items: { type: "string" } } as const;

export const exampleSchema = {
  type: "object",
  additionalProperties: false,
  required: ["input", "target", "split"],
  properties: {
    input: { type: "string" },
    target: { type: "string" },
    choices: stringList,
    references: { ...stringList, minItems: 1 },
    split: { enum: ["train", "test"] },
  },
} as const;

export const collectionIndexSchema = {
  type: "object",
  additionalProperties: false,
  required: ["family", "name", "tasks"],
  properties: {
    family: { enum: ["p3", "metaicl", "sni"] },
    name: { type: "string", minLength: 1 },
    tasks: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "role", "metric", "source", "trainCount", "testCount"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9_-][A-Za-z0-9._-]*$", maxLength: 200 },
          role: { enum: ["train", "heldout"] },
          metric: { enum: ["accuracy", "macro-f1", "rouge-l"] },
          taskType: { type: "string" },
          definition: { type: "string" },
          positives: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["input", "output"],
              properties: { input: { type: "string" }, output: { type: "string" } },
            },
          },
          source: { type: "string" },
          trainCount: { type: "integer", minimum: 0 },
          testCount: { type: "integer", minimum: 0 },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false });
const validateExample: ValidateFunction<Example> = ajv.compile<Example>(exampleSchema);
const validateCollectionIndex: ValidateFunction<CollectionIndex> = ajv.compile<CollectionIndex>(collectionIndexSchema);

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath || "(record)"} ${error.message ?? "is invalid"}`)
    .join("; ");
}

/** Throws unless `value` is a valid `Example`; `where` names the file and line. */
export function assertExample(value: unknown, where: string): asserts value is Example {
  if (!validateExample(value)) {
    throw new Error(`${where}: invalid example: ${describeErrors(validateExample)}`);
  }
  const example = value as Example;
  if (example.choices !== undefined && example.choices.length > 0 && !example.choices.includes(example.target)) {
    throw new Error(`${where}: invalid example: target ${JSON.stringify(example.target)} is not one of its choices`);
  }
}

/** Throws unless `value` is a valid `CollectionIndex`; `where` names the file. */
export function assertCollectionIndex(value: unknown, where: string): asserts value is CollectionIndex {
  if (!validateCollectionIndex(value)) {
    throw new Error(`${where}: invalid collection index: ${describeErrors(validateCollectionIndex)}`);
  }
  const names = new Set<string>();
  for (const task of (value as CollectionIndex).tasks) {
    if (names.has(task.name)) throw new Error(`${where}: task ${task.name} is listed twice`);
    names.add(task.name);
  }
}
