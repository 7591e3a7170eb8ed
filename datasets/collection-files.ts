/**
 * Reading and writing normalized collections: a folder with `collection.json` (a `CollectionIndex`) and one
 * `tasks/<task>.jsonl` file per task, one `Example` per line. Writers validate every record before writing.
 */
import fs from "node:fs";
import path from "node:path";
import { assertCollectionIndex, assertExample } from "./schema.js";
import { joinInside } from "./safe-names.js";
import type { CollectionIndex, Example, TaskInfo } from "./types.js";

/** A task with its examples, as a loader produces it before writing. */
export interface TaskData {
  info: Omit<TaskInfo, "trainCount" | "testCount">;
  examples: Example[];
}

/** A collection as a loader produces it: family, name and tasks with their examples. */
export interface CollectionData {
  family: CollectionIndex["family"];
  name: string;
  tasks: TaskData[];
}

/**
 * Writes `collection` into `folder` (created if missing) and returns the index written. Throws, naming the task and
 * example, when a record is invalid or a task name is unsafe; the caller's output folder is then left unpublished.
 */
export function writeCollection(folder: string, collection: CollectionData): CollectionIndex {
  const tasksFolder = path.join(folder, "tasks");
  fs.mkdirSync(tasksFolder, { recursive: true });
  const index: CollectionIndex = { family: collection.family, name: collection.name, tasks: [] };
  for (const task of collection.tasks) {
    const file = joinInside(tasksFolder, `${task.info.name}.jsonl`);
    const lines: string[] = [];
    let trainCount = 0;
    let testCount = 0;
    task.examples.forEach((example, position) => {
      assertExample(example, `task ${task.info.name}, example ${position + 1}`);
      if (example.split === "train") trainCount++;
      else testCount++;
      lines.push(JSON.stringify(example));
    });
    fs.writeFileSync(file, lines.length === 0 ? "" : lines.join("\n") + "\n");
    index.tasks.push({ ...task.info, trainCount, testCount });
  }
  assertCollectionIndex(index, path.join(folder, "collection.json"));
  fs.writeFileSync(path.join(folder, "collection.json"), JSON.stringify(index, null, 2) + "\n");
  return index;
}

/** Reads and validates `collection.json` of the collection in `folder`. */
export function readCollectionIndex(folder: string): CollectionIndex {
  const file = path.join(folder, "collection.json");
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: cannot read collection index: ${(error as Error).message}`);
  }
  assertCollectionIndex(value, file);
  return value;
}

/** Reads and validates the examples of `task` in the collection in `folder`, in file order. */
export function readTaskExamples(folder: string, task: string): Example[] {
  const file = joinInside(path.join(folder, "tasks"), `${task}.jsonl`);
  const examples: Example[] = [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.forEach((line, position) => {
    if (line.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${position + 1}: invalid JSON: ${(error as Error).message}`);
    }
    assertExample(value, `${file}:${position + 1}`);
    examples.push(value);
  });
  return examples;
}

/** Where a stage wrote a collection: its name, family and folder (absolute). */
export interface CollectionLocation {
  name: string;
  family: CollectionIndex["family"];
  folder: string;
}

/** Lists the collections below `root` (folders holding a `collection.json`), sorted by name. */
export function listCollections(root: string): CollectionLocation[] {
  const found: CollectionLocation[] = [];
  const visit = (folder: string): void => {
    if (fs.existsSync(path.join(folder, "collection.json"))) {
      const index = readCollectionIndex(folder);
      found.push({ name: index.name, family: index.family, folder });
      return;
    }
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== "tasks") visit(path.join(folder, entry.name));
    }
  };
  if (fs.existsSync(root)) visit(root);
  return found.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
}
