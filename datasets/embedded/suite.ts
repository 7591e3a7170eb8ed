/**
 * The embedded default suite: three task collections shaped like P3, MetaICL and Super-NaturalInstructions, and an
 * English text corpus, all built from real data shipped by npm packages (see `datasets/README.md`). Everything is
 * a function of the seed and the sizes; `embeddedSuiteVersion` changes whenever the same inputs would give other data.
 */
import type { CollectionData, TaskData } from "../collection-files.js";
import { seededRandom, shuffled, type Random } from "../random.js";
import type { Example, TaskMetric } from "../types.js";
import { buildEmbeddedCorpus } from "./corpus.js";
import { embeddedTaskSpecs, type EmbeddedTaskSpec, type TaskItem } from "./tasks.js";

/** Version of the suite's contents; it belongs in the `download` stage key. */
export const embeddedSuiteVersion = "1";

export interface EmbeddedSuiteSizes {
  /** Training examples per task (also for P3-like held-out tasks, which parameter-efficient tuning trains on). */
  trainExamples: number;
  /** Test examples per task (S-NI-like held-out tasks keep at most 100, as S-NI evaluation does). */
  testExamples: number;
  /** Training examples of MetaICL-like held-out tasks (MetaICL's target tasks have k = 16). */
  heldoutTrainExamples: number;
  /** Maximum training tasks per collection, taken in the listed order. */
  maxTrainTasks: number;
  /** Maximum held-out tasks per collection, taken in the listed order. */
  maxHeldoutTasks: number;
  /** Corpus documents. */
  corpusDocuments: number;
  /** Approximate characters per corpus document. */
  documentCharacters: number;
}

/** Sizes for the default profile (laptop CPU) and for smoke tests. */
export const embeddedSuiteSizes: { default: EmbeddedSuiteSizes; smoke: EmbeddedSuiteSizes } = {
  default: {
    trainExamples: 300,
    testExamples: 100,
    heldoutTrainExamples: 16,
    maxTrainTasks: 12,
    maxHeldoutTasks: 6,
    corpusDocuments: 4000,
    documentCharacters: 600,
  },
  smoke: {
    trainExamples: 24,
    testExamples: 8,
    heldoutTrainExamples: 16,
    maxTrainTasks: 4,
    maxHeldoutTasks: 2,
    corpusDocuments: 200,
    documentCharacters: 400,
  },
};

export interface EmbeddedSuite {
  collections: CollectionData[];
  corpus: string[];
}

/** Task lists of each collection (training tasks, then held-out tasks), in priority order. */
const layouts = {
  p3: {
    train: [
      "country_capital", "word_sentiment", "word_category", "country_region", "definition_word", "word_syllables",
      "word_part_of_speech", "emoji_name", "country_currency", "word_hypernym", "rhyme_pair", "country_language",
    ],
    heldout: ["hypernym_entailment", "same_sense", "capital_region_entailment", "fill_blank", "country_borders", "word_antonym"],
  },
  sni: {
    train: [
      "country_capital", "word_hypernym", "word_sentiment", "definition_word", "country_region", "fill_blank",
      "word_synonym", "emoji_keyword", "country_currency", "word_part_of_speech", "word_rhyme", "country_language",
    ],
    heldout: ["word_antonym", "capital_country", "word_definition", "country_subregion", "emoji_name", "word_syllables"],
  },
  "metaicl/hr_to_lr": {
    train: [
      "country_capital", "word_sentiment", "word_category", "word_hypernym", "country_region", "word_syllables",
      "definition_word", "word_part_of_speech", "emoji_keyword", "country_currency", "rhyme_pair", "word_synonym",
    ],
    heldout: ["country_landlocked", "sentiment_strength", "word_antonym", "word_stress", "capital_country", "same_sense"],
  },
  "metaicl/non_class_to_class": {
    train: [
      "country_capital", "word_hypernym", "definition_word", "country_currency", "word_synonym", "capital_country",
      "emoji_keyword", "fill_blank", "word_rhyme", "country_language", "emoji_name", "word_definition",
    ],
    heldout: ["word_sentiment", "country_region", "word_category", "word_syllables", "same_sense", "country_landlocked"],
  },
  "metaicl/non_nli_to_nli": {
    train: [
      "country_capital", "word_sentiment", "word_category", "word_hypernym", "country_region", "word_syllables",
      "definition_word", "word_part_of_speech", "emoji_keyword", "rhyme_pair", "same_sense", "country_borders",
    ],
    heldout: ["hypernym_entailment", "capital_region_entailment"],
  },
} as const;

/** Builds the suite; deterministic in `seed` and `sizes`. */
export function buildEmbeddedSuite(seed: number, sizes: EmbeddedSuiteSizes): EmbeddedSuite {
  validateSizes(sizes);
  const specs = embeddedTaskSpecs();
  const pools = new Map<string, SampledItems>();
  const sampled = (name: string): SampledItems => {
    let pool = pools.get(name);
    if (!pool) {
      const spec = specs.get(name);
      if (!spec) throw new Error(`embedded suite lists unknown task ${name}`);
      pool = sampleItems(spec, seed, sizes);
      pools.set(name, pool);
    }
    return pool;
  };

  const collections: CollectionData[] = [];
  for (const [layoutName, layout] of Object.entries(layouts)) {
    const family = layoutName.startsWith("metaicl") ? "metaicl" : (layoutName as "p3" | "sni");
    const tasks: TaskData[] = [];
    const roles: ["train" | "heldout", readonly string[]][] = [
      ["train", layout.train.slice(0, sizes.maxTrainTasks)],
      ["heldout", layout.heldout.slice(0, sizes.maxHeldoutTasks)],
    ];
    for (const [role, names] of roles) {
      for (const name of names) {
        const spec = specs.get(name)!;
        tasks.push(renderTask(spec, sampled(name), family, role, seed, sizes));
      }
    }
    collections.push({ family, name: `embedded/${layoutName}`, tasks });
  }
  return { collections, corpus: buildEmbeddedCorpus(seed, sizes.corpusDocuments, sizes.documentCharacters) };
}

function validateSizes(sizes: EmbeddedSuiteSizes): void {
  for (const [key, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`embedded suite size ${key} = ${value} is invalid: expected an integer >= 0`);
  }
  if (sizes.trainExamples < 17) throw new Error(`trainExamples = ${sizes.trainExamples} is invalid: 16-shot sampling needs at least 17`);
}

interface SampledItems {
  train: TaskItem[];
  test: TaskItem[];
  /** Two further items used as S-NI positive examples. */
  positives: TaskItem[];
  /** Answers of all items, for distractor choices. */
  answers: string[];
}

/** Draws disjoint train, test and positive items; the same for every collection, so collections agree on facts. */
function sampleItems(spec: EmbeddedTaskSpec, seed: number, sizes: EmbeddedSuiteSizes): SampledItems {
  const all = spec.items();
  const order = shuffled(all, seededRandom(seed, "items", spec.name));
  const positives = order.slice(0, 2);
  const rest = order.slice(2);
  // Small tasks (the country facts) give at most a third of their items to the test split.
  const testCount = Math.min(sizes.testExamples, Math.floor(rest.length / 3));
  const test = rest.slice(0, testCount);
  const train = rest.slice(testCount, testCount + sizes.trainExamples);
  const answers = [...new Set(all.map((item) => item.answer))].sort();
  return { train, test, positives, answers };
}

function renderTask(
  spec: EmbeddedTaskSpec,
  items: SampledItems,
  family: "p3" | "metaicl" | "sni",
  role: "train" | "heldout",
  seed: number,
  sizes: EmbeddedSuiteSizes,
): TaskData {
  const random = seededRandom(seed, "render", family, spec.name);
  let train = items.train;
  let test = items.test;
  if (role === "heldout" && family === "metaicl") train = train.slice(0, sizes.heldoutTrainExamples);
  if (role === "heldout" && family === "sni") {
    // S-NI test tasks are evaluated on their first 100 instances and conditioned on the definition, not on training data.
    train = [];
    test = test.slice(0, 100);
  }
  const render = (item: TaskItem, split: "train" | "test"): Example => renderExample(spec, item, split, family, items.answers, random);
  return {
    info: {
      name: spec.name,
      role,
      metric: metricOf(spec, family),
      taskType: spec.type,
      ...(family === "sni"
        ? { definition: spec.definition, positives: items.positives.map((item) => ({ input: spec.bare(item.fields), output: item.answer })) }
        : {}),
      source: spec.source,
    },
    examples: [...train.map((item) => render(item, "train")), ...test.map((item) => render(item, "test"))],
  };
}

function metricOf(spec: EmbeddedTaskSpec, family: "p3" | "metaicl" | "sni"): TaskMetric {
  if (family === "p3") return "accuracy";
  if (family === "sni") return "rouge-l";
  return spec.type === "classification" ? "macro-f1" : "rouge-l";
}

const p3ChoiceCount = 4;

function renderExample(
  spec: EmbeddedTaskSpec,
  item: TaskItem,
  split: "train" | "test",
  family: "p3" | "metaicl" | "sni",
  answers: string[],
  random: Random,
): Example {
  const references = item.references && item.references.length > 0 ? unique([item.answer, ...item.references]) : [item.answer];
  if (family === "p3") {
    return { input: spec.prompt(item.fields), target: item.answer, choices: p3Choices(spec, item, answers, random), split };
  }
  if (family === "metaicl") {
    const example: Example = { input: spec.bare(item.fields), target: item.answer, references, split };
    if (spec.type === "classification" && spec.labels) example.choices = [...spec.labels];
    return example;
  }
  return { input: spec.bare(item.fields), target: item.answer, references, split };
}

/** Answer choices for rank classification: the labels when few, else the answer plus distractors, shuffled. */
function p3Choices(spec: EmbeddedTaskSpec, item: TaskItem, answers: string[], random: Random): string[] {
  if (spec.labels && spec.labels.length <= p3ChoiceCount) return [...spec.labels];
  const candidates = (spec.labels ?? answers).filter(
    (answer) => answer !== item.answer && !(item.references ?? []).includes(answer),
  );
  const distractors = shuffled(candidates, random).slice(0, p3ChoiceCount - 1);
  return shuffled([item.answer, ...distractors], random);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
