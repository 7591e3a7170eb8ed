/**
 * Tokenization of normalized collections into the layout of `tokenized.ts`. Texts repeat a lot (labels, answer
 * choices, shared inputs), so encodings are memoized per run.
 */
import fs from "node:fs";
import path from "node:path";
import { readCollectionIndex, readTaskExamples } from "./collection-files.js";
import { joinInside } from "./safe-names.js";
import type { TextTokenizer } from "./tokenizer.js";
import type { TokenizedExample, TokenizedTask } from "./tokenized.js";
import type { CollectionIndex, Example } from "./types.js";

/** Texts up to this length are cached: labels and answer choices repeat, long inputs rarely do. */
const maxCachedLength = 64;

/** Encodes text with a cache of short texts; ids are shared between callers and must not be mutated. */
export class MemoizedEncoder {
  readonly #cache = new Map<string, number[]>();

  constructor(readonly tokenizer: TextTokenizer) {}

  encode(text: string): number[] {
    if (text.length > maxCachedLength) return this.tokenizer.encode(text);
    let ids = this.#cache.get(text);
    if (!ids) {
      ids = this.tokenizer.encode(text);
      this.#cache.set(text, ids);
    }
    return ids;
  }
}

function tokenizeExample(example: Example, encoder: MemoizedEncoder): TokenizedExample {
  const result: TokenizedExample = {
    input: encoder.encode(example.input),
    target: encoder.encode(example.target),
    references: example.references ?? [example.target],
  };
  if (example.choices && example.choices.length > 0) {
    result.choices = example.choices.map((choice) => encoder.encode(choice));
    result.answerIndex = example.choices.indexOf(example.target);
  }
  return result;
}

export interface TokenizeCollectionOptions {
  /**
   * Drop training tasks whose mean input length exceeds this many tokens. HyperTuning (Phang et al. 2022, section
   * 5.2) drops P3 dataset-prompts longer than 320 tokens on average, so that several examples fit the hypermodel.
   */
  maxMeanTrainingInputTokens?: number;
}

/** Tokenizes the collection in `sourceFolder` into `targetFolder`; returns its index and the dropped tasks. */
export function tokenizeCollection(
  sourceFolder: string,
  targetFolder: string,
  encoder: MemoizedEncoder,
  options: TokenizeCollectionOptions = {},
): { index: CollectionIndex; dropped: string[] } {
  const source = readCollectionIndex(sourceFolder);
  const index: CollectionIndex = { ...source, tasks: [] };
  const dropped: string[] = [];
  const tasksFolder = path.join(targetFolder, "tasks");
  fs.mkdirSync(tasksFolder, { recursive: true });
  for (const info of source.tasks) {
    const examples = readTaskExamples(sourceFolder, info.name);
    const task: TokenizedTask = { name: info.name, train: [], test: [] };
    if (info.definition !== undefined) task.definition = encoder.encode(info.definition);
    if (info.positives !== undefined) {
      task.positives = info.positives.map((positive) => ({ input: encoder.encode(positive.input), output: encoder.encode(positive.output) }));
    }
    for (const example of examples) task[example.split].push(tokenizeExample(example, encoder));
    if (info.role === "train" && exceedsMeanInputLength(task, options.maxMeanTrainingInputTokens)) {
      dropped.push(info.name);
      continue;
    }
    fs.writeFileSync(joinInside(tasksFolder, `${info.name}.json`), JSON.stringify(task));
    index.tasks.push(info);
  }
  fs.writeFileSync(path.join(targetFolder, "collection.json"), JSON.stringify(index, null, 2) + "\n");
  return { index, dropped };
}

function exceedsMeanInputLength(task: TokenizedTask, maxTokens: number | undefined): boolean {
  if (maxTokens === undefined || task.train.length === 0) return false;
  const total = task.train.reduce((sum, example) => sum + example.input.length, 0);
  return total / task.train.length > maxTokens;
}

/** Texts of a collection's training side (training examples, definitions, positives), for training a tokenizer. */
export function* trainingTexts(folder: string): Generator<string> {
  const index = readCollectionIndex(folder);
  for (const info of index.tasks) {
    if (info.definition !== undefined) yield info.definition;
    for (const positive of info.positives ?? []) yield `${positive.input} ${positive.output}`;
    for (const example of readTaskExamples(folder, info.name)) {
      if (example.split !== "train") continue;
      yield [example.input, example.target, ...(example.choices ?? [])].join(" ");
    }
  }
}
