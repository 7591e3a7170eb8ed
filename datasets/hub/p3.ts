/**
 * P3 (Sanh et al. 2022) rebuilt from its ingredients: PromptSource templates applied to raw dataset rows, which come
 * as JSON Lines. SuperGLUE's original `*.jsonl` rows are first converted to the Hugging Face `super_glue` fields
 * (integer labels, flattened WSC spans) that the templates expect.
 */
import type { CollectionData, TaskData } from "../collection-files.js";
import { toSafeName, toSafeNames } from "../safe-names.js";
import type { Example } from "../types.js";
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { parseJsonLines, readTextFile } from "./jsonl.js";
import { applyTemplate, parseTemplates } from "./promptsource.js";

export interface P3DatasetOptions {
  /** PromptSource dataset path, e.g. `super_glue/cb` or `ag_news`. */
  name: string;
  role: "train" | "heldout";
  /** Template names to use (one task each); all templates when empty. */
  prompts: string[];
  /** Folder below the raw base URL; defaults to `name` (`super_glue/wsc` serves `super_glue/wsc.fixed`). */
  rawFolder: string;
  /** Raw training file, if the source has one. */
  trainFile: string | undefined;
  testFile: string;
  /** Without a training file: move this many leading test rows into the training split (disjoint from test). */
  trainFromTest: number;
  /** Appended to task names, to tell apart entries of one dataset with other files (e.g. ANLI rounds `r1`-`r3`). */
  suffix: string;
}

export interface P3Options {
  /** Base URL of `promptsource/templates` at a pinned commit. */
  templatesBaseUrl: string;
  /** Base URL of the raw JSON Lines rows. */
  rawBaseUrl: string;
  datasets: P3DatasetOptions[];
  maxTrainExamples: number;
  maxTestExamples: number;
}

type Row = Record<string, unknown>;

function labelIndex(names: string[]): (row: Row, where: string) => Row {
  return (row, where) => {
    const index = names.indexOf(String(row.label));
    if (index < 0) throw new Error(`${where}: label ${JSON.stringify(row.label)} is not one of ${names.join(", ")}`);
    return { ...row, label: index };
  };
}

function booleanLabel(row: Row, where: string): Row {
  const label = row.label;
  if (label === true || label === "true" || label === 1) return { ...row, label: 1 };
  if (label === false || label === "false" || label === 0) return { ...row, label: 0 };
  throw new Error(`${where}: label ${JSON.stringify(label)} is not a boolean`);
}

/** Conversions from SuperGLUE's released jsonl rows to the Hugging Face `super_glue` features. */
const rowAdapters: Record<string, (row: Row, where: string) => Row> = {
  "super_glue/cb": labelIndex(["entailment", "contradiction", "neutral"]),
  "super_glue/rte": labelIndex(["entailment", "not_entailment"]),
  "super_glue/copa": (row) => row,
  "super_glue/wic": booleanLabel,
  "super_glue/wsc.fixed": (row, where) => {
    const target = row.target as Row | undefined;
    if (!target) throw new Error(`${where}: field "target" is missing`);
    return { ...booleanLabel(row, where), ...target };
  },
};

async function readRows(context: FetchContext, options: P3Options, dataset: P3DatasetOptions, file: string): Promise<Row[]> {
  const relative = `${dataset.rawFolder}/${file}`;
  const { file: local } = await fetchToFile(context, joinUrl(options.rawBaseUrl, ...dataset.rawFolder.split("/"), file));
  const adapt = rowAdapters[dataset.name] ?? ((row: Row) => row);
  return parseJsonLines(readTextFile(local, relative), relative).map(({ line, value }) => {
    const where = `${relative}:${line}`;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: expected a JSON object`);
    return adapt(value as Row, where);
  });
}

function renderRows(rows: Row[], template: ReturnType<typeof parseTemplates>[number], split: "train" | "test", where: string, limit: number): Example[] {
  const examples: Example[] = [];
  for (const [index, row] of rows.entries()) {
    if (examples.length >= limit) break;
    let prompted;
    try {
      prompted = applyTemplate(template, row);
    } catch (error) {
      throw new Error(`${where}, ${split} row ${index + 1}, template "${template.name}": ${(error as Error).message}`);
    }
    if (!prompted) continue;
    const example: Example = { input: prompted.input, target: prompted.target, split };
    if (prompted.choices) {
      if (!prompted.choices.includes(prompted.target)) {
        throw new Error(`${where}, ${split} row ${index + 1}, template "${template.name}": target ${JSON.stringify(prompted.target)} is not an answer choice`);
      }
      example.choices = prompted.choices;
    }
    examples.push(example);
  }
  return examples;
}

/** Loads the listed dataset-prompts as collection `p3`, one task per dataset and template. */
export async function loadP3(context: FetchContext, options: P3Options): Promise<CollectionData> {
  const tasks: TaskData[] = [];
  const taskNames: string[] = [];
  for (const dataset of options.datasets) {
    const templatesPath = `${dataset.name}/templates.yaml`;
    const { file } = await fetchToFile(context, joinUrl(options.templatesBaseUrl, ...dataset.name.split("/"), "templates.yaml"));
    const templates = parseTemplates(readTextFile(file, templatesPath), templatesPath);
    const wanted = dataset.prompts.length === 0 ? templates : dataset.prompts.map((prompt) => {
      const template = templates.find((candidate) => candidate.name === prompt);
      if (!template) throw new Error(`${templatesPath}: no template named ${JSON.stringify(prompt)}; it has ${templates.map((candidate) => JSON.stringify(candidate.name)).join(", ")}`);
      return template;
    });
    let testRows = await readRows(context, options, dataset, dataset.testFile);
    let trainRows: Row[] = [];
    if (dataset.trainFile) trainRows = await readRows(context, options, dataset, dataset.trainFile);
    else if (dataset.trainFromTest > 0) {
      trainRows = testRows.slice(0, dataset.trainFromTest);
      testRows = testRows.slice(dataset.trainFromTest);
    }
    for (const template of wanted) {
      const name = [dataset.name, template.name, dataset.suffix].filter((part) => part.length > 0).join(" ");
      if (taskNames.includes(name)) throw new Error(`P3 dataset-prompt "${name}" is listed twice; give one entry a suffix`);
      taskNames.push(name);
      tasks.push({
        info: {
          name: toSafeName(name),
          role: dataset.role,
          metric: "accuracy",
          taskType: template.answerChoices ? "multi-choice" : "free-form",
          source: `PromptSource ${templatesPath} template ${template.id}`,
        },
        examples: [
          ...renderRows(trainRows, template, "train", templatesPath, options.maxTrainExamples),
          ...renderRows(testRows, template, "test", templatesPath, options.maxTestExamples),
        ],
      });
    }
  }
  toSafeNames(taskNames, "P3 dataset-prompts");
  return { family: "p3", name: "p3", tasks };
}
