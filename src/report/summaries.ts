/**
 * Validation of the summary records that experiment stages write into their manifests.
 *
 * The record types live in `src/experiments/results.ts`. This module checks a parsed summary against them, so a
 * malformed summary fails with the manifest path and the field instead of turning into a wrong table cell.
 */
import type { EvalSummary, HyperpretrainSummary, PeftSummary, TrainingSummary } from "../experiments/results.js";
import { mtfMethods } from "../experiments/results.js";

/** A hyperpretraining summary with the cost fields that hyperpretraining stages add to the result type. */
export type HyperpretrainResult = HyperpretrainSummary & { estimatedFlops?: number; wallSeconds?: number };

export type ResultSummary = EvalSummary | PeftSummary | HyperpretrainResult | TrainingSummary;

const evalDatasets = new Set([
  "p3",
  "metaicl/hr_to_lr",
  "metaicl/non_nli_to_nli",
  "metaicl/non_class_to_class",
  "sni/def",
  "sni/def-2pos",
]);
const peftMethods = new Set(["prefix-flat", "prefix-mlp", "lora"]);
const peftInits = new Set(["random", "shared", "hyper"]);
const hyperpretrainVariants = new Set(["prefix-and-suffix", "prefix-only"]);

/** Raised when a summary does not match its record type; the message names the source and the field. */
export class SummaryError extends Error {
  override name = "SummaryError";
}

type Fields = { [key: string]: unknown };

class FieldReader {
  constructor(
    private readonly record: Fields,
    private readonly where: string,
  ) {}

  fail(field: string, expected: string): never {
    const value = JSON.stringify(this.record[field]);
    throw new SummaryError(`${this.where}: summary field "${field}" is ${value ?? "missing"}, expected ${expected}`);
  }

  number(field: string): number {
    const value = this.record[field];
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(field, "a finite number");
    return value;
  }

  /** Reads a number, or undefined when the field is absent or null (stages write null for "not applicable"). */
  optionalNumber(field: string): number | undefined {
    return this.record[field] === undefined || this.record[field] === null ? undefined : this.number(field);
  }

  string(field: string): string {
    const value = this.record[field];
    if (typeof value !== "string" || value === "") this.fail(field, "a non-empty string");
    return value;
  }

  oneOf<T extends string>(field: string, allowed: ReadonlySet<string>): T {
    const value = this.record[field];
    if (typeof value !== "string" || !allowed.has(value)) this.fail(field, `one of ${[...allowed].join(", ")}`);
    return value as T;
  }

  scoreMap(field: string): { [task: string]: number } {
    const value = this.record[field];
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(field, "an object of task scores");
    const scores: { [task: string]: number } = {};
    for (const [task, score] of Object.entries(value as Fields)) {
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw new SummaryError(`${this.where}: summary field "${field}.${task}" is ${JSON.stringify(score)}, expected a finite number`);
      }
      scores[task] = score;
    }
    return scores;
  }

  numberArray(field: string): number[] {
    const value = this.record[field];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "number" && Number.isFinite(item))) {
      this.fail(field, "an array of finite numbers");
    }
    return value as number[];
  }

  curve(field: string): { step: number; score: number }[] {
    const value = this.record[field];
    if (!Array.isArray(value)) this.fail(field, "an array of { step, score } points");
    return value.map((point: unknown, index) => {
      const fields = point as Fields | null;
      if (
        typeof fields !== "object" ||
        fields === null ||
        typeof fields.step !== "number" ||
        typeof fields.score !== "number" ||
        !Number.isFinite(fields.step) ||
        !Number.isFinite(fields.score)
      ) {
        throw new SummaryError(`${this.where}: summary field "${field}[${index}]" is ${JSON.stringify(point)}, expected { step, score } numbers`);
      }
      return { step: fields.step, score: fields.score };
    });
  }
}

function parseEval(read: FieldReader): EvalSummary {
  const summary: EvalSummary = {
    kind: "eval",
    dataset: read.oneOf("dataset", evalDatasets),
    method: read.oneOf("method", new Set<string>(mtfMethods)),
    metric: read.string("metric"),
    average: read.number("average"),
    tasks: read.scoreMap("tasks"),
    examples: read.number("examples"),
  };
  const steps = read.optionalNumber("hyperpretrainSteps");
  if (steps !== undefined) summary.hyperpretrainSteps = steps;
  return summary;
}

function parsePeft(read: FieldReader): PeftSummary {
  return {
    kind: "peft",
    task: read.string("task"),
    method: read.oneOf("method", peftMethods),
    init: read.oneOf("init", peftInits),
    learningRate: read.number("learningRate"),
    seed: read.number("seed"),
    final: read.number("final"),
    curve: read.curve("curve"),
  };
}

function parseHyperpretrain(read: FieldReader): HyperpretrainResult {
  const summary: HyperpretrainResult = {
    kind: "hyperpretrain",
    // Besides the two hypermodels of the result type, a profile may hyperpretrain HyperT5-Prefix-MLP for the hyper init of Prefix-MLP.
    hypermodel: read.oneOf("hypermodel", new Set(["hyper-prefix", "hyper-lora", "hyper-prefix-mlp"])),
    variant: read.oneOf("variant", hyperpretrainVariants),
    steps: read.number("steps"),
    finalLoss: read.number("finalLoss"),
    checkpointSteps: read.numberArray("checkpointSteps"),
  };
  const estimatedFlops = read.optionalNumber("estimatedFlops");
  if (estimatedFlops !== undefined) summary.estimatedFlops = estimatedFlops;
  const wallSeconds = read.optionalNumber("wallSeconds");
  if (wallSeconds !== undefined) summary.wallSeconds = wallSeconds;
  return summary;
}

function parseTraining(read: FieldReader, kind: "pretrain" | "mtf"): TrainingSummary {
  return {
    kind,
    steps: read.number("steps"),
    finalLoss: read.number("finalLoss"),
    estimatedFlops: read.number("estimatedFlops"),
    wallSeconds: read.number("wallSeconds"),
  };
}

/**
 * Checks a manifest summary against the result record its `kind` names.
 * Returns undefined for a summary without a result `kind` (download, tokenize), which the report does not read.
 */
export function parseResultSummary(summary: unknown, where: string): ResultSummary | undefined {
  if (typeof summary !== "object" || summary === null || Array.isArray(summary)) {
    throw new SummaryError(`${where}: summary is ${JSON.stringify(summary)}, expected an object`);
  }
  const record = summary as Fields;
  const read = new FieldReader(record, where);
  switch (record.kind) {
    case "eval": {
      const parsed = parseEval(read);
      if (record.hyperpretrainVariant !== undefined && record.hyperpretrainVariant !== null) {
        parsed.hyperpretrainVariant = read.oneOf<"prefix-and-suffix" | "prefix-only">("hyperpretrainVariant", hyperpretrainVariants);
      }
      return parsed;
    }
    case "peft":
      return parsePeft(read);
    case "hyperpretrain":
      return parseHyperpretrain(read);
    case "pretrain":
    case "mtf":
      return parseTraining(read, record.kind);
    default:
      return undefined;
  }
}
