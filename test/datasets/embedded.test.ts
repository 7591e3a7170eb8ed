import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import downloadStage from "../../stages/download.js";
import tokenizeStage from "../../stages/tokenize.js";
import {
  buildEmbeddedSuite,
  choiceTargetIds,
  downstreamInputIds,
  embeddedSuiteSizes,
  embeddedSuiteVersion,
  fewShotModelInputIds,
  hypermodelInputIds,
  listCollections,
  openTokenizedDataset,
  readTaskExamples,
  sampleFewShotIndices,
  type EmbeddedSuite,
} from "../../datasets/index.js";
import { isSafeName } from "../../datasets/safe-names.js";
import { makeStageContext } from "./stage-context.js";

const smoke = embeddedSuiteSizes.smoke;

describe("embedded suite", () => {
  let suite: EmbeddedSuite;
  beforeAll(() => {
    suite = buildEmbeddedSuite(7, smoke);
  });

  test("same seed gives the same suite", () => {
    expect(JSON.stringify(buildEmbeddedSuite(7, smoke))).toBe(JSON.stringify(suite));
  });

  test("another seed gives other examples", () => {
    const other = buildEmbeddedSuite(8, smoke);
    expect(JSON.stringify(other.collections[0]!.tasks[0]!.examples)).not.toBe(JSON.stringify(suite.collections[0]!.tasks[0]!.examples));
  });

  test("collections have training and held-out tasks", () => {
    const names = suite.collections.map((collection) => collection.name);
    expect(names).toEqual(["embedded/p3", "embedded/sni", "embedded/metaicl/hr_to_lr", "embedded/metaicl/non_class_to_class", "embedded/metaicl/non_nli_to_nli"]);
    for (const collection of suite.collections) {
      const roles = collection.tasks.map((task) => task.info.role);
      expect(roles.filter((role) => role === "train")).toHaveLength(smoke.maxTrainTasks);
      expect(roles.filter((role) => role === "heldout").length).toBeGreaterThan(0);
      for (const task of collection.tasks) expect(isSafeName(task.info.name)).toBe(true);
    }
  });

  test("p3-like examples carry their target among the choices", () => {
    const p3 = suite.collections.find((collection) => collection.family === "p3")!;
    for (const task of p3.tasks) {
      for (const example of task.examples) {
        expect(example.choices!.length).toBeGreaterThanOrEqual(2);
        expect(example.choices).toContain(example.target);
      }
    }
  });

  test("metaicl-like tasks share bare inputs", () => {
    const metaicl = buildEmbeddedSuite(7, { ...smoke, maxTrainTasks: 12 }).collections.find((collection) => collection.name === "embedded/metaicl/hr_to_lr")!;
    const inputsOf = (name: string): Set<string> => new Set(metaicl.tasks.find((task) => task.info.name === name)!.examples.map((example) => example.input));
    const capitals = inputsOf("country_capital");
    const regions = inputsOf("country_region");
    expect([...capitals].some((input) => regions.has(input))).toBe(true);
    expect([...capitals][0]).not.toMatch(/capital/i);
  });

  test("sni-like tasks have a definition and two positives", () => {
    const sni = suite.collections.find((collection) => collection.family === "sni")!;
    for (const task of sni.tasks) {
      expect(task.info.definition!.length).toBeGreaterThan(10);
      expect(task.info.positives).toHaveLength(2);
      const inputs = new Set(task.examples.map((example) => example.input));
      for (const positive of task.info.positives!) expect(inputs.has(positive.input)).toBe(false);
    }
  });

  test("train and test splits are disjoint", () => {
    for (const collection of suite.collections) {
      for (const task of collection.tasks) {
        const train = new Set(task.examples.filter((example) => example.split === "train").map((example) => `${example.input}\u0000${example.target}`));
        for (const example of task.examples.filter((candidate) => candidate.split === "test")) {
          expect(train.has(`${example.input}\u0000${example.target}`)).toBe(false);
        }
      }
    }
  });

  test("corpus has the requested documents", () => {
    expect(suite.corpus).toHaveLength(smoke.corpusDocuments);
    for (const document of suite.corpus) expect(document.length).toBeGreaterThanOrEqual(smoke.documentCharacters);
  });
});

describe("download and tokenize stages on the embedded suite", () => {
  test("rejects unknown sizes and sources", async () => {
    const sizes = makeStageContext("download", { source: "embedded", suiteVersion: embeddedSuiteVersion, sizes: { examples: 3 } });
    await expect(downloadStage.run(sizes.context)).rejects.toThrow(/sizes.examples is not a size/);
    const source = makeStageContext("download", { source: "kaggle" });
    await expect(downloadStage.run(source.context)).rejects.toThrow(/source "kaggle" is invalid/);
    const tokenizer = makeStageContext("tokenize", { tokenizer: "bpe" });
    await expect(tokenizeStage.run(tokenizer.context)).rejects.toThrow(/tokenizer "bpe" is invalid/);
  });

  test("rejects a stale suite version", async () => {
    const { context } = makeStageContext("download", { source: "embedded", suiteVersion: "0", seed: 1, sizeProfile: "smoke" });
    await expect(downloadStage.run(context)).rejects.toThrow(/suiteVersion "0" does not match/);
  });

  test("writes, tokenizes and formats the suite", async () => {
    const download = makeStageContext("download", { source: "embedded", suiteVersion: embeddedSuiteVersion, seed: 3, sizeProfile: "smoke" });
    const downloaded = await downloadStage.run(download.context);
    expect(downloaded.source).toBe("embedded");
    const collections = listCollections(path.join(download.context.outputDir, "collections"));
    expect(collections.map((collection) => collection.name)).toContain("embedded/p3");
    const corpusLines = fs.readFileSync(path.join(download.context.outputDir, "corpus.jsonl"), "utf8").trim().split("\n");
    expect(corpusLines).toHaveLength(smoke.corpusDocuments);
    const p3Folder = collections.find((collection) => collection.name === "embedded/p3")!.folder;
    expect(readTaskExamples(p3Folder, "country_capital").length).toBeGreaterThan(0);

    const tokenize = makeStageContext("tokenize", { tokenizer: "unigram", vocabSize: 1000 }, { "download/embedded": download.context.outputDir });
    const summary = await tokenizeStage.run(tokenize.context);
    expect(summary.vocabSize).toBe(1000);

    const dataset = openTokenizedDataset(tokenize.context.outputDir);
    const info = dataset.tokenizerInfo;
    expect([info.padId, info.eosId, info.unkId]).toEqual([0, 1, 2]);
    expect(info.sentinelIds).toHaveLength(100);
    expect(info.sentinelIds[0]).toBe(997);
    expect([info.xId, info.yId]).toEqual([998, 999]);

    const corpus = dataset.corpus();
    expect(corpus.documentCount).toBe(smoke.corpusDocuments);
    const tokenizer = dataset.tokenizer();
    const firstDocument = JSON.parse(corpusLines[0]!).text as string;
    expect(tokenizer.decode(Array.from(corpus.document(0)))).toBe(firstDocument.replace(/\s+/g, " ").trim());

    const p3 = dataset.collection("embedded/p3");
    const task = p3.task(p3.taskNames("train")[0]!);
    const lengths = { hypermodelInput: 256, downstreamInput: 64, target: 16 };
    const example = task.test[0]!;
    const choices = choiceTargetIds(example, info, lengths);
    expect(choices[example.answerIndex!]).toEqual([...example.target, info.eosId]);
    expect(downstreamInputIds(example, info, lengths)).toEqual([...example.input, info.eosId]);

    const ref = { split: "test" as const, index: 0 };
    const conditioning = { kind: "few-shot" as const, k: 4, seed: 11 };
    const hyper = hypermodelInputIds(task, ref, conditioning, info, lengths);
    const shots = sampleFewShotIndices(task, ref, 4, 11).map((index) => task.train[index]!);
    const expected = shots.flatMap((shot) => [info.xId, ...shot.input, info.yId, ...shot.target]);
    expect(hyper).toEqual([...expected.slice(0, hyper.length - 1), info.eosId]);
    expect(tokenizer.decode(hyper, { skipSpecialTokens: false })).toContain("<x>");
    const fewShot = fewShotModelInputIds(task, ref, conditioning, info, lengths);
    expect(fewShot.slice(-example.input.length - 3)).toEqual([info.xId, ...example.input, info.yId, info.eosId]);

    const sni = dataset.collection("embedded/sni");
    const sniTask = sni.task(sni.taskNames("heldout")[0]!);
    const definitionOnly = hypermodelInputIds(sniTask, ref, { kind: "definition" }, info, lengths);
    expect(definitionOnly).toEqual([info.xId, ...sniTask.definition!, info.eosId]);
    const withPositives = hypermodelInputIds(sniTask, ref, { kind: "definition-2pos" }, info, lengths);
    expect(withPositives.filter((id) => id === info.xId)).toHaveLength(3);
    expect(withPositives.filter((id) => id === info.yId)).toHaveLength(2);

    // Dropping long P3 training prompts keeps the short ones, every held-out task and the other collections.
    const meanInput = (collection: typeof p3, name: string): number => {
      const train = collection.task(name).train;
      return train.reduce((sum, one) => sum + one.input.length, 0) / train.length;
    };
    const means = p3.taskNames("train").map((name) => meanInput(p3, name));
    const limit = Math.round((Math.min(...means) + Math.max(...means)) / 2);
    const filtered = makeStageContext("tokenize", { tokenizer: "unigram", vocabSize: 1000, p3MaxMeanInputTokens: limit }, { "download/embedded": download.context.outputDir });
    await tokenizeStage.run(filtered.context);
    const filteredDataset = openTokenizedDataset(filtered.context.outputDir);
    const kept = filteredDataset.collection("embedded/p3");
    for (const name of kept.taskNames("train")) expect(meanInput(kept, name)).toBeLessThanOrEqual(limit);
    expect(kept.taskNames("train").length).toBeGreaterThanOrEqual(1);
    expect(kept.taskNames("train").length).toBeLessThan(p3.taskNames("train").length);
    expect(kept.taskNames("heldout")).toEqual(p3.taskNames("heldout"));
    expect(filteredDataset.collection("embedded/sni").taskNames()).toEqual(sni.taskNames());
    const messages = filtered.events.map((event) => ("message" in event ? String(event.message) : ""));
    expect(messages.some((message) => /dropped \d+ training tasks/.test(message))).toBe(true);
  });
});
