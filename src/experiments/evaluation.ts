/**
 * Evaluation on held-out tasks. P3 tasks are scored by rank classification (the answer choice with the highest
 * summed log-likelihood, EOS included) and accuracy. MetaICL tasks use rank classification when they have answer
 * choices (greedy generation otherwise) and MetaICL's score: macro-F1 for classification tasks, accuracy for the
 * others. S-NI tasks use greedy generation and S-NI's ROUGE-L. Few-shot sets are drawn with one fixed seed, so every
 * model sees the same examples.
 */

import fs from "node:fs";
import path from "node:path";

import * as tf from "@tensorflow/tfjs";

import { choiceTargetIds, exampleAt, type SequenceLengths, type SpecialIds, type TaskInfo, type TextTokenizer, type TokenizedCollection, type TokenizedTask } from "../../datasets/index.js";
import { estimateFlops, generateGreedy, scoreChoices, type HyperT5, type PeftParameters, type T5Model, type TunableModule } from "../models/index.js";
import { metaIclAccuracy, metaIclIsCorrect, metaIclMacroF1, rougeLMaxOverReferences, rougeLScore } from "../metrics/index.js";
import { paddedIds } from "./batches.js";
import { disposePeft, keepPeft } from "./peft-tensors.js";
import { buildModelExample, conditioningFor, inputStyle, type ModelExample } from "./multitask-data.js";
import type { EvalDataset, MtfMethod } from "./results.js";

/** The model under evaluation: a T5, optionally adapted by a shared PEFT module or by a hypermodel per example. */
export interface EvaluatedModel {
  downstream: T5Model;
  adapter?: TunableModule;
  hypermodel?: HyperT5;
}

export interface EvaluationOptions {
  dataset: EvalDataset;
  method: MtfMethod;
  collection: TokenizedCollection;
  tokenizer: TextTokenizer;
  model: EvaluatedModel;
  fewShotCount: number;
  fewShotSeed: number;
  maxTestExamplesPerTask: number;
  maxGenerationLength: number;
  batchSize: number;
  lengths: SequenceLengths;
  special: SpecialIds;
}

export interface PredictionRecord {
  task: string;
  /** Position of the example in the task's test split. */
  index: number;
  prediction: string;
  references: string[];
  /** Per-example score in [0, 1]: 1/0 for a correct/wrong answer, ROUGE-L F-measure for S-NI. */
  score: number;
  /** Summed log-likelihood of every answer choice (rank classification only). */
  choiceScores?: number[];
}

export interface EvaluationResult {
  /** `accuracy`, `macro-f1/accuracy` or `rouge-l`, as `EvalSummary.metric` names them. */
  metric: string;
  /** Score of each task in percent. */
  tasks: { [task: string]: number };
  average: number;
  examples: number;
  predictions: PredictionRecord[];
  /** Estimated matMul FLOPs of every forward pass (an estimate: padding and the cost of the heads are approximate). */
  estimatedFlops: number;
}

export function metricName(dataset: EvalDataset): string {
  if (dataset === "p3") return "accuracy";
  return dataset.startsWith("metaicl/") ? "macro-f1/accuracy" : "rouge-l";
}

/** PEFT parameters for a chunk of examples: per example from the hypermodel, shared from the adapter, or none. */
function peftFor(model: EvaluatedModel, examples: ModelExample[], pad: number): PeftParameters | undefined {
  if (model.hypermodel !== undefined) {
    const hypermodel = model.hypermodel;
    const rows = examples.map((example, index) => {
      if (example.hyperInput === undefined) throw new Error(`Internal error: evaluation example ${index} has no hypermodel input.`);
      return example.hyperInput;
    });
    return keepPeft(() => {
      const inputs = paddedIds(rows, pad);
      return hypermodel.generate(inputs.ids, inputs.mask);
    });
  }
  if (model.adapter !== undefined) {
    const adapter = model.adapter;
    return keepPeft(() => adapter.parameters());
  }
  return undefined;
}

/** Decoded text; an empty generation (EOS first) is the empty string, which the tokenizer library rejects as input. */
function decodeText(tokenizer: TextTokenizer, ids: readonly number[]): string {
  return ids.length === 0 ? "" : tokenizer.decode(ids);
}

function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((value, index) => {
    if (value > values[best]!) best = index;
  });
  return best;
}

/** Index of the gold answer choice: `answerIndex`, else the choice that decodes to the first reference. */
function goldChoice(task: TokenizedTask, index: number, choiceTexts: string[], references: string[]): number {
  const example = task.test[index]!;
  if (example.answerIndex !== undefined) return example.answerIndex;
  const found = choiceTexts.findIndex((text) => text.trim() === (references[0] ?? "").trim());
  if (found < 0) throw new Error(`Task ${task.name}, test example ${index}: no answer index and no choice equals the reference "${references[0]}".`);
  return found;
}

interface TaskPredictions {
  predictions: string[];
  golds: string[];
  records: PredictionRecord[];
  /** Estimated matMul FLOPs of the forward passes. */
  estimatedFlops: number;
}

/** Forward FLOPs of scoring `rows` target sequences (of the longest length) against one input each. */
function forwardFlops(model: EvaluatedModel, rows: number, inputLength: number, targetLength: number, fewShotLength: number): number {
  const hypermodel = model.hypermodel;
  if (hypermodel === undefined) {
    return estimateFlops(model.downstream.config, { batch: rows, inputLength, targetLength, model: "t5", mode: "forward" });
  }
  return estimateFlops(model.downstream.config, {
    batch: rows,
    inputLength,
    targetLength,
    model: hypermodel.kind === "prefix" ? "hyper_prefix" : "hyper_lora",
    fewShotLength,
    prefixLength: hypermodel.prefixLength,
    loraRank: hypermodel.loraRank,
    mode: "forward",
  });
}

/** Predicts every evaluated test example of one task. */
function predictTask(options: EvaluationOptions, task: TokenizedTask, count: number): TaskPredictions {
  const { model, special, lengths, tokenizer } = options;
  const pad = model.downstream.config.pad_token_id;
  const style = inputStyle(options.method, options.dataset);
  const conditioning = conditioningFor(options.dataset, options.fewShotCount, options.fewShotSeed);
  const result: TaskPredictions = { predictions: [], golds: [], records: [], estimatedFlops: 0 };
  for (let start = 0; start < count; start += options.batchSize) {
    const indices = Array.from({ length: Math.min(options.batchSize, count - start) }, (_, offset) => start + offset);
    const examples = indices.map((index) => buildModelExample(task, { split: "test", index }, style, conditioning, special, lengths));
    const peft = peftFor(model, examples, pad);
    try {
      const choices = indices.map((index) => choiceTargetIds(exampleAt(task, { split: "test", index }), special, lengths));
      const ranked = choices.every((list) => list.length > 0);
      const scores = ranked
        ? scoreChoices(model.downstream, examples.map((example, i) => ({ inputIds: example.input, choices: choices[i]! })), { ...(peft ? { peft } : {}), batchSize: options.batchSize })
        : undefined;
      const generated = ranked
        ? undefined
        : generateGreedy(model.downstream, examples.map((example) => example.input), { ...(peft ? { peft } : {}), maxLength: options.maxGenerationLength, batchSize: options.batchSize });
      const inputLength = Math.max(...examples.map((example) => example.input.length));
      const fewShotLength = Math.max(0, ...examples.map((example) => example.hyperInput?.length ?? 0));
      if (ranked) {
        const targetLength = Math.max(...choices.flat().map((choice) => choice.length));
        result.estimatedFlops += forwardFlops(model, choices.flat().length, inputLength, targetLength, fewShotLength);
      } else {
        // Greedy decoding without a key-value cache reruns the decoder on the prefix at every step.
        const steps = Math.max(1, ...generated!.map((tokens) => tokens.length + 1));
        for (let length = 1; length <= steps; length++) result.estimatedFlops += forwardFlops(model, examples.length, inputLength, length, fewShotLength);
      }
      indices.forEach((index, i) => {
        const references = task.test[index]!.references;
        if (scores !== undefined) {
          const choiceTexts = choices[i]!.map((choice) => decodeText(tokenizer, choice));
          const prediction = choiceTexts[argmax(scores[i]!)]!;
          const gold = choiceTexts[goldChoice(task, index, choiceTexts, references)]!;
          result.predictions.push(prediction);
          result.golds.push(gold);
          result.records.push({ task: task.name, index, prediction, references, score: prediction === gold ? 1 : 0, choiceScores: scores[i]! });
        } else {
          const prediction = decodeText(tokenizer, generated![i]!);
          result.predictions.push(prediction);
          result.golds.push(references[0] ?? "");
          result.records.push({ task: task.name, index, prediction, references, score: 0 });
        }
      });
    } finally {
      disposePeft(peft, model.adapter);
    }
  }
  return result;
}

/** Scores one task in [0, 1] by its family's metric and fills in each record's per-example score. */
export function scoreTask(dataset: EvalDataset, info: TaskInfo, predicted: TaskPredictions): number {
  const references = predicted.records.map((record) => record.references);
  if (dataset.startsWith("sni/")) {
    predicted.records.forEach((record) => {
      record.score = rougeLMaxOverReferences(record.prediction, record.references);
    });
    return rougeLScore(predicted.predictions, references) / 100;
  }
  const ranked = predicted.records.every((record) => record.choiceScores !== undefined);
  if (!ranked) {
    predicted.records.forEach((record) => {
      record.score = metaIclIsCorrect(record.prediction, record.references) ? 1 : 0;
    });
  }
  if (dataset.startsWith("metaicl/")) {
    // NOTE: MetaICL's script scores every non-classification task by accuracy, so a task whose collection lists
    // `rouge-l` (the embedded suite's free-form MetaICL-like tasks) is scored by exact-match accuracy here.
    const isClassification = info.taskType === "classification" || info.metric === "macro-f1";
    if (isClassification) return metaIclMacroF1(predicted.predictions, predicted.golds);
    return metaIclAccuracy(predicted.predictions, ranked ? predicted.golds : references);
  }
  return predicted.records.reduce((sum, record) => sum + record.score, 0) / predicted.records.length;
}

interface ScoredTask {
  score: number;
  records: PredictionRecord[];
  estimatedFlops: number;
}

/**
 * Evaluates every held-out task of the collection. With `resumeFolder`, each scored task is saved there and a
 * rerun after a crash or stop skips the tasks already scored.
 */
export function evaluateCollection(
  options: EvaluationOptions,
  onTask?: (task: string, done: number, total: number) => void,
  resumeFolder?: string,
): EvaluationResult {
  const heldout = options.collection.index.tasks.filter((task) => task.role === "heldout");
  if (heldout.length === 0) throw new Error(`Collection ${options.collection.name} has no held-out task to evaluate.`);
  const tasks: { [task: string]: number } = {};
  const predictions: PredictionRecord[] = [];
  let estimatedFlops = 0;
  heldout.forEach((info, position) => {
    const task = options.collection.task(info.name);
    const count = Math.min(task.test.length, options.maxTestExamplesPerTask);
    if (count === 0) throw new Error(`Held-out task ${info.name} of ${options.collection.name} has no test example.`);
    const saved = resumeFolder === undefined ? undefined : path.join(resumeFolder, `${info.name}.json`);
    let scored: ScoredTask;
    if (saved !== undefined && fs.existsSync(saved)) {
      scored = JSON.parse(fs.readFileSync(saved, "utf8")) as ScoredTask;
    } else {
      const predicted = predictTask(options, task, count);
      scored = { score: 100 * scoreTask(options.dataset, info, predicted), records: predicted.records, estimatedFlops: predicted.estimatedFlops };
      if (saved !== undefined) {
        fs.mkdirSync(path.dirname(saved), { recursive: true });
        fs.writeFileSync(`${saved}.tmp`, JSON.stringify(scored));
        fs.renameSync(`${saved}.tmp`, saved);
      }
    }
    tasks[info.name] = scored.score;
    predictions.push(...scored.records);
    estimatedFlops += scored.estimatedFlops;
    onTask?.(info.name, position + 1, heldout.length);
  });
  const scores = Object.values(tasks);
  return {
    metric: metricName(options.dataset),
    tasks,
    average: scores.reduce((sum, score) => sum + score, 0) / scores.length,
    examples: predictions.length,
    predictions,
    estimatedFlops,
  };
}

/**
 * Rank-classification accuracy in percent of `model` adapted by `peft` on the first `count` test examples of a
 * P3-style task (every example must have answer choices), for the scores along PEFT training.
 */
export function rankClassificationAccuracy(
  downstream: T5Model,
  peft: PeftParameters | undefined,
  task: TokenizedTask,
  count: number,
  special: SpecialIds,
  lengths: SequenceLengths,
  batchSize: number,
): number {
  const scoring = Array.from({ length: count }, (_, index) => {
    const example = exampleAt(task, { split: "test", index });
    const choices = choiceTargetIds(example, special, lengths);
    if (choices.length === 0) throw new Error(`Task ${task.name}, test example ${index} has no answer choices; rank classification needs them.`);
    if (example.answerIndex === undefined) throw new Error(`Task ${task.name}, test example ${index} has no answer index.`);
    return { inputIds: buildModelExample(task, { split: "test", index }, "plain", { kind: "definition" }, special, lengths).input, choices, answer: example.answerIndex };
  });
  const scores = scoreChoices(downstream, scoring, { ...(peft ? { peft } : {}), batchSize });
  const correct = scores.filter((choiceScores, index) => argmax(choiceScores) === scoring[index]!.answer).length;
  return (100 * correct) / count;
}
