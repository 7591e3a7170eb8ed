/**
 * MetaICL (Min et al. 2022): a setting file `config/<setting>.json` lists training and test tasks, each task has
 * `config/tasks/<task>.json` (`task_type`, `options`), and data files `data/<task>/<task>_<k>_<seed>_<split>.jsonl`
 * hold `{task, input, output, options}` per line. Meta-training tasks use k = 16384, seed 100 and their `train` file;
 * test tasks use k = 16 and their `train` (few-shot pool) and `test` files.
 */
import type { CollectionData, TaskData } from "../collection-files.js";
import { toSafeNames } from "../safe-names.js";
import type { Example, TaskMetric } from "../types.js";
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { parseJsonLines, readTextFile, stringField } from "./jsonl.js";

export interface MetaIclOptions {
  /** Base URL of the folder holding `config/` (MetaICL's repository at a pinned commit). */
  configBaseUrl: string;
  /** Base URL of the folder holding `data/`. */
  dataBaseUrl: string;
  /** Setting name, e.g. `hr_to_lr`, `non_nli_to_nli`, `non_class_to_class`. */
  setting: string;
  /** Key of the test task list in the setting file: `test` or `unseen_domain_test`. */
  testKey: string;
  trainK: number;
  trainSeed: number;
  testK: number;
  testSeed: number;
  /** Keep at most this many training examples per meta-training task. */
  maxTrainExamples: number;
}

async function fetchJson(context: FetchContext, url: string, label: string): Promise<unknown> {
  const { file } = await fetchToFile(context, url);
  try {
    return JSON.parse(readTextFile(file, label));
  } catch (error) {
    throw new Error(`${label}: invalid JSON (${(error as Error).message})`);
  }
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw new Error(`${where}: expected a list of task names`);
  return value as string[];
}

async function readExamples(
  context: FetchContext,
  options: MetaIclOptions,
  task: string,
  k: number,
  seed: number,
  split: "train" | "test",
  limit: number,
): Promise<Example[]> {
  const relative = `data/${task}/${task}_${k}_${seed}_${split}.jsonl`;
  const { file } = await fetchToFile(context, joinUrl(options.dataBaseUrl, "data", task, `${task}_${k}_${seed}_${split}.jsonl`));
  const examples: Example[] = [];
  for (const record of parseJsonLines(readTextFile(file, relative), relative)) {
    if (examples.length >= limit) break;
    const where = `${relative}:${record.line}`;
    const input = stringField(record.value, "input", where);
    const output = stringField(record.value, "output", where);
    const rawOptions = (record.value as { options?: unknown }).options ?? [];
    const choices = stringList(rawOptions, `${where}: field "options"`);
    if (choices.length > 0 && !choices.includes(output)) {
      throw new Error(`${where}: output ${JSON.stringify(output)} is not one of the options`);
    }
    const example: Example = { input, target: output, split };
    if (choices.length > 0) example.choices = choices;
    examples.push(example);
  }
  return examples;
}

function metricOf(taskType: string): TaskMetric {
  if (taskType === "classification") return "macro-f1";
  if (taskType === "multi-choice") return "accuracy";
  return "rouge-l";
}

/** Loads the setting as collection `metaicl/<setting>`. */
export async function loadMetaIcl(context: FetchContext, options: MetaIclOptions): Promise<CollectionData> {
  const settingLabel = `config/${options.setting}.json`;
  const setting = (await fetchJson(context, joinUrl(options.configBaseUrl, "config", `${options.setting}.json`), settingLabel)) as Record<string, unknown>;
  const trainTasks = stringList(setting.train, `${settingLabel}: field "train"`);
  const testTasks = stringList(setting[options.testKey], `${settingLabel}: field "${options.testKey}"`);
  const safeNames = toSafeNames([...trainTasks, ...testTasks], settingLabel);

  const tasks: TaskData[] = [];
  for (const [role, names] of [["train", trainTasks], ["heldout", testTasks]] as const) {
    for (const task of names) {
      const configLabel = `config/tasks/${task}.json`;
      const config = (await fetchJson(context, joinUrl(options.configBaseUrl, "config", "tasks", `${task}.json`), configLabel)) as { task_type?: unknown };
      const taskType = typeof config.task_type === "string" ? config.task_type : "free-form";
      const examples =
        role === "train"
          ? await readExamples(context, options, task, options.trainK, options.trainSeed, "train", options.maxTrainExamples)
          : [
              ...(await readExamples(context, options, task, options.testK, options.testSeed, "train", Number.MAX_SAFE_INTEGER)),
              ...(await readExamples(context, options, task, options.testK, options.testSeed, "test", Number.MAX_SAFE_INTEGER)),
            ];
      tasks.push({
        info: { name: safeNames.get(task)!, role, metric: metricOf(taskType), taskType, source: `MetaICL ${options.setting}: ${task}` },
        examples,
      });
    }
  }
  return { family: "metaicl", name: `metaicl/${options.setting}`, tasks };
}
