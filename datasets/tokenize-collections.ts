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

/** Encodes text with a cache; ids are shared between callers and must not be mutated. */
export class MemoizedEncoder {
  readonly #cache = new Map<string, number[]>();

  constructor(readonly tokenizer: TextTokenizer) {}

  encode(text: string): number[] {
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

/** Tokenizes the collection in `sourceFolder` into `targetFolder`; returns its index. */
export function tokenizeCollection(sourceFolder: string, targetFolder: string, encoder: MemoizedEncoder): CollectionIndex {
  const index = readCollectionIndex(sourceFolder);
  const tasksFolder = path.join(targetFolder, "tasks");
  fs.mkdirSync(tasksFolder, { recursive: true });
  for (const info of index.tasks) {
    const examples = readTaskExamples(sourceFolder, info.name);
    const task: TokenizedTask = { name: info.name, train: [], test: [] };
    if (info.definition !== undefined) task.definition = encoder.encode(info.definition);
    if (info.positives !== undefined) {
      task.positives = info.positives.map((positive) => ({ input: encoder.encode(positive.input), output: encoder.encode(positive.output) }));
    }
    for (const example of examples) task[example.split].push(tokenizeExample(example, encoder));
    fs.writeFileSync(joinInside(tasksFolder, `${info.name}.json`), JSON.stringify(task));
  }
  fs.writeFileSync(path.join(targetFolder, "collection.json"), JSON.stringify(index, null, 2) + "\n");
  return index;
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
