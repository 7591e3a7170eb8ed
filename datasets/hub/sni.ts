/**
 * Super-NaturalInstructions v2.5 (Wang et al. 2022): `splits/default/{train,test}_tasks.txt` list task names and
 * `tasks/<task>.json` contains `Definition`, `Positive Examples`, `Instances` and the languages. Only tasks whose input
 * and output language is English are kept; test tasks keep their first 100 instances, as S-NI evaluation does.
 */
import type { CollectionData, TaskData } from "../collection-files.js";
import { toSafeNames } from "../safe-names.js";
import type { Example } from "../types.js";
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { readTextFile } from "./jsonl.js";

export interface SniOptions {
  /** Base URL of the repository at a pinned commit (holding `splits/` and `tasks/`). */
  baseUrl: string;
  /** Only these tasks (in split order); all listed tasks when empty. */
  taskNames: string[];
  /** Keep at most this many instances of a training task. */
  maxTrainInstances: number;
  /** Instances of a test task that are evaluated (S-NI: 100). */
  testInstances: number;
}

/** Task counts of `splits/default` in the released benchmark (Wang et al. 2022). */
const releasedSplit = { train: 756, test: 119 };

interface SniTask {
  Definition: string[];
  "Positive Examples": { input: string; output: string }[];
  Instances: { id?: string; input: string; output: string[] }[];
  Input_language?: string[];
  Output_language?: string[];
}

function parseTask(text: string, label: string): SniTask {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${label}: invalid JSON (${(error as Error).message}); the file may be truncated`);
  }
  const task = value as Partial<SniTask> | null;
  if (!task || !Array.isArray(task.Definition) || task.Definition.some((line) => typeof line !== "string")) {
    throw new Error(`${label}: field "Definition" is missing or not a list of strings`);
  }
  if (!Array.isArray(task["Positive Examples"])) throw new Error(`${label}: field "Positive Examples" is missing`);
  task["Positive Examples"].forEach((example, index) => {
    if (typeof example?.input !== "string" || typeof example?.output !== "string") {
      throw new Error(`${label}: "Positive Examples"[${index}] needs string input and output`);
    }
  });
  if (!Array.isArray(task.Instances)) throw new Error(`${label}: field "Instances" is missing`);
  task.Instances.forEach((instance, index) => {
    const valid = typeof instance?.input === "string" && Array.isArray(instance.output) && instance.output.length > 0 && instance.output.every((output) => typeof output === "string");
    if (!valid) throw new Error(`${label}: Instances[${index}]${instance?.id ? ` (id ${instance.id})` : ""} needs a string input and a non-empty list of string outputs`);
  });
  return task as SniTask;
}

function isEnglish(task: SniTask): boolean {
  const english = (languages: string[] | undefined): boolean => languages === undefined || languages.every((language) => language === "English");
  return english(task.Input_language) && english(task.Output_language);
}

async function readTaskList(context: FetchContext, baseUrl: string, fileName: string): Promise<string[]> {
  const relative = `splits/default/${fileName}`;
  const { file } = await fetchToFile(context, joinUrl(baseUrl, "splits", "default", fileName));
  return readTextFile(file, relative)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Loads the default split as collection `sni`. */
export async function loadSni(context: FetchContext, options: SniOptions): Promise<CollectionData> {
  const trainNames = await readTaskList(context, options.baseUrl, "train_tasks.txt");
  const testNames = await readTaskList(context, options.baseUrl, "test_tasks.txt");
  const counts = `${trainNames.length} training and ${testNames.length} test tasks`;
  if (trainNames.length === releasedSplit.train && testNames.length === releasedSplit.test) context.log(`splits/default lists ${counts}`);
  else context.log(`warning: splits/default lists ${counts}, not the ${releasedSplit.train} and ${releasedSplit.test} of the S-NI v2.5 release`);
  const wanted = new Set(options.taskNames);
  const select = (names: string[]): string[] => (wanted.size === 0 ? names : names.filter((name) => wanted.has(name)));
  const safeNames = toSafeNames([...trainNames, ...testNames], "splits/default");

  const tasks: TaskData[] = [];
  for (const [role, names] of [["train", select(trainNames)], ["heldout", select(testNames)]] as const) {
    for (const name of names) {
      const relative = `tasks/${name}.json`;
      const { file } = await fetchToFile(context, joinUrl(options.baseUrl, "tasks", `${name}.json`));
      const task = parseTask(readTextFile(file, relative), relative);
      if (!isEnglish(task)) {
        context.log(`skipped ${name}: not an English task`);
        continue;
      }
      const split = role === "train" ? "train" : "test";
      const limit = role === "train" ? options.maxTrainInstances : options.testInstances;
      const examples: Example[] = task.Instances.slice(0, limit).map((instance) => ({
        input: instance.input,
        target: instance.output[0]!,
        references: instance.output,
        split,
      }));
      tasks.push({
        info: {
          name: safeNames.get(name)!,
          role,
          metric: "rouge-l",
          definition: task.Definition.join("\n"),
          positives: task["Positive Examples"].map((example) => ({ input: example.input, output: example.output })),
          source: `Super-NaturalInstructions ${options.baseUrl}: ${relative}`,
        },
        examples,
      });
    }
  }
  return { family: "sni", name: "sni", tasks };
}
