/**
 * JSON schema of `report.json`, checked with ajv before the file is written, so a consumer of a published report
 * (the regression check, a later comparison) can rely on its shape.
 */
import { Ajv, type ErrorObject } from "ajv";
import type { Report } from "./model.js";

const nullableNumber = { type: ["number", "null"] };
const nullableString = { type: ["string", "null"] };
const cellMap = { type: "object", additionalProperties: nullableNumber };

export const reportSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "hypertune-bench report",
  type: "object",
  additionalProperties: false,
  required: ["schemaVersion", "profile", "referenceModel", "provenance", "tables", "plots", "training"],
  properties: {
    schemaVersion: { const: 1 },
    profile: { type: "string", minLength: 1 },
    referenceModel: { enum: ["t5-large", "t5-xl", null] },
    provenance: {
      type: "object",
      additionalProperties: false,
      required: [
        "generatedAt",
        "gitCommit",
        "gitDirty",
        "profileDigest",
        "stageKeysDigest",
        "backend",
        "stages",
        "unresolvedStages",
        "totalWallSeconds",
        "cacheHits",
      ],
      properties: {
        generatedAt: { type: "string", format: "date-time" },
        gitCommit: { anyOf: [{ type: "string", pattern: "^[0-9a-f]{40,64}$" }, { type: "null" }] },
        gitDirty: { type: ["boolean", "null"] },
        profileDigest: { anyOf: [{ type: "string", pattern: "^[0-9a-f]{64}$" }, { type: "null" }] },
        stageKeysDigest: { type: "string", pattern: "^[0-9a-f]{64}$" },
        backend: nullableString,
        stages: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["id", "kind", "key", "wallSeconds", "finishedAt", "cacheHit"],
            properties: {
              id: { type: "string", minLength: 1 },
              kind: { type: "string" },
              key: { type: "string", minLength: 1 },
              wallSeconds: { anyOf: [{ type: "number", minimum: 0 }, { type: "null" }] },
              finishedAt: nullableString,
              cacheHit: { type: ["boolean", "null"] },
            },
          },
        },
        unresolvedStages: { type: "array", items: { type: "string" } },
        totalWallSeconds: { type: "number", minimum: 0 },
        cacheHits: { anyOf: [{ type: "integer", minimum: 0 }, { type: "null" }] },
      },
    },
    tables: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "title", "paperTable", "metric", "columns", "rows", "footnotes"],
        properties: {
          id: { type: "string", minLength: 1 },
          title: { type: "string" },
          paperTable: { type: "integer", minimum: 1 },
          metric: { type: "string" },
          columns: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["id", "label"],
              properties: { id: { type: "string", minLength: 1 }, label: { type: "string" } },
            },
          },
          rows: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["label", "group", "cells"],
              properties: {
                label: { type: "string", minLength: 1 },
                group: { type: "string" },
                cells: { anyOf: [cellMap, { type: "null" }] },
                reference: {
                  type: "object",
                  additionalProperties: false,
                  required: ["table", "label", "cells"],
                  properties: { table: { type: "integer", minimum: 1 }, label: { type: "string" }, cells: cellMap },
                },
                detail: { type: "string" },
              },
            },
          },
          footnotes: { type: "array", items: { type: "string" } },
        },
      },
    },
    plots: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "title", "file", "xLabel", "yLabel", "series"],
        properties: {
          id: { type: "string", minLength: 1 },
          title: { type: "string" },
          file: { type: "string", pattern: "^[a-z0-9.-]+\\.svg$" },
          xLabel: { type: "string" },
          yLabel: { type: "string" },
          series: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["label", "points"],
              properties: {
                label: { type: "string" },
                points: {
                  type: "array",
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["x", "y"],
                    properties: { x: { type: "number" }, y: { type: "number" } },
                  },
                },
              },
            },
          },
        },
      },
    },
    training: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["stage", "kind", "steps", "finalLoss", "estimatedFlops", "wallSeconds", "detail"],
        properties: {
          stage: { type: "string" },
          kind: { type: "string" },
          steps: { type: "number", minimum: 0 },
          finalLoss: { type: "number" },
          estimatedFlops: nullableNumber,
          wallSeconds: nullableNumber,
          detail: nullableString,
        },
      },
    },
  },
} as const;

/** Raised when a report does not match the schema; the message lists every violation with its JSON pointer. */
export class ReportSchemaError extends Error {
  override name = "ReportSchemaError";
  constructor(
    readonly where: string,
    readonly errors: ErrorObject[],
  ) {
    const lines = errors.map((error) => `  ${error.instancePath || "/"}: ${error.message ?? "invalid"} ${JSON.stringify(error.params)}`);
    super(`${where} does not match the report schema:\n${lines.join("\n")}`);
  }
}

// `format: "date-time"` needs ajv-formats, which is not installed; the date is checked by `validateReport` itself.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: false });
const validate = ajv.compile(reportSchema);

/** Checks `value` against the report schema and narrows it; `where` names the file or object in the error. */
export function validateReport(value: unknown, where: string): asserts value is Report {
  if (!validate(value)) throw new ReportSchemaError(where, validate.errors ?? []);
  const generatedAt = (value as Report).provenance.generatedAt;
  if (Number.isNaN(Date.parse(generatedAt))) {
    throw new ReportSchemaError(where, [
      { instancePath: "/provenance/generatedAt", message: "must be an ISO 8601 date-time", params: { value: generatedAt }, keyword: "format", schemaPath: "" },
    ]);
  }
}
