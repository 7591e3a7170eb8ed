import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import downloadStage from "../../stages/download.js";
import tokenizeStage from "../../stages/tokenize.js";
import { listCollections, openTokenizedDataset, readCollectionIndex, readTaskExamples } from "../../datasets/index.js";
import { downloadFile } from "../../datasets/hub/http.js";
import { fixturesFolder, haveFixtures, startFixtureServer, type FixtureServer } from "./fixture-server.js";
import { makeStageContext } from "./stage-context.js";
import type { JsonValue } from "../../src/engine/stage.js";

const c4Path = (index: number): string => `/hf/datasets/allenai/c4/resolve/main/en/c4-train.0000${index}-of-00003.json.gz`;
const tokenizerPath = "/hf/google/t5-v1_1-xxl/resolve/main/tokenizer.json";

describe.skipIf(!haveFixtures)("hub loaders against a local server", () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.routes.clear();
    server.faults.clear();
    server.redirects.clear();
    server.requests.length = 0;
    for (let index = 0; index < 3; index++) server.routes.set(c4Path(index), `c4/c4-sample.0${index + 1}.json.gz`);
    server.routes.set(tokenizerPath, "t5/t5-v1_1-xxl/tokenizer/tokenizer.json");
  });

  const run = async (params: { [key: string]: JsonValue }, root?: string) => {
    const stage = makeStageContext("download", { endpoint: `${server.url}/hf`, ...params }, {}, root);
    const summary = await downloadStage.run(stage.context);
    return { ...stage, summary };
  };

  test("p3 renders promptsource templates on SuperGLUE rows", async () => {
    const { context } = await run({
      source: "p3",
      templatesBaseUrl: `${server.url}/p3/templates`,
      rawBaseUrl: `${server.url}/p3/raw`,
      datasets: [
        { name: "super_glue/cb", role: "heldout", prompts: ["GPT-3 style", "can we infer"], testFile: "val.jsonl", trainFromTest: 16 },
        { name: "super_glue/rte", role: "train", prompts: [], testFile: "val.jsonl", trainFromTest: 200 },
        { name: "super_glue/copa", role: "heldout", prompts: [], testFile: "val.jsonl", trainFromTest: 20 },
        { name: "super_glue/wsc.fixed", rawFolder: "super_glue/wsc", role: "heldout", prompts: ["GPT-3 Style"], testFile: "val.jsonl", trainFromTest: 16 },
      ],
    });
    const folder = path.join(context.outputDir, "collections", "p3");
    const index = readCollectionIndex(folder);
    const cb = index.tasks.find((task) => task.name === "super_glue_cb_GPT-3_style")!;
    expect(cb.role).toBe("heldout");
    expect(cb.trainCount).toBe(16);
    expect(cb.testCount).toBe(40);
    const first = readTaskExamples(folder, cb.name).find((example) => example.split === "test")!;
    expect(first.choices).toEqual(["True", "False", "Neither"]);
    expect(first.input).toMatch(/\nQuestion: .* True, False, or Neither\?$/);
    // The 17th CB validation row is labelled "entailment", which the template renders as "True".
    const rows = fs.readFileSync(path.join(fixturesFolder, "p3/raw/super_glue/cb/val.jsonl"), "utf8").trim().split("\n");
    const label = JSON.parse(rows[16]!).label as string;
    expect(first.target).toBe({ entailment: "True", contradiction: "False", neutral: "Neither" }[label]);
    const copaTasks = index.tasks.filter((task) => task.name.startsWith("super_glue_copa"));
    expect(copaTasks.length).toBeGreaterThanOrEqual(10);
    for (const task of copaTasks) expect(task.trainCount + task.testCount).toBeGreaterThan(40);
    expect(index.tasks.find((task) => task.name === "super_glue_wsc.fixed_GPT-3_Style")!.testCount).toBe(88);
  });

  test("p3 suffixes tell entries of one dataset apart", async () => {
    const entry = { name: "super_glue/cb", role: "heldout", prompts: ["GPT-3 style"], testFile: "val.jsonl" };
    const params = { source: "p3", templatesBaseUrl: `${server.url}/p3/templates`, rawBaseUrl: `${server.url}/p3/raw` };
    const { context } = await run({ ...params, datasets: [{ ...entry, suffix: "r1" }, { ...entry, suffix: "r2" }] });
    const index = readCollectionIndex(path.join(context.outputDir, "collections", "p3"));
    expect(index.tasks.map((task) => task.name)).toEqual(["super_glue_cb_GPT-3_style_r1", "super_glue_cb_GPT-3_style_r2"]);
    await expect(run({ ...params, datasets: [entry, entry] })).rejects.toThrow(/"super_glue\/cb GPT-3 style" is listed twice/);
  });

  test("p3 names the row with an unknown label", async () => {
    const rows = fs.readFileSync(path.join(fixturesFolder, "p3/raw/super_glue/cb/val.jsonl"), "utf8").split("\n");
    rows[2] = JSON.stringify({ ...JSON.parse(rows[2]!), label: "maybe" });
    server.routes.set("/p3/raw/super_glue/cb/val.jsonl", Buffer.from(rows.join("\n")));
    const datasets = [{ name: "super_glue/cb", prompts: ["GPT-3 style"], testFile: "val.jsonl" }];
    await expect(run({ source: "p3", templatesBaseUrl: `${server.url}/p3/templates`, rawBaseUrl: `${server.url}/p3/raw`, datasets })).rejects.toThrow(
      /super_glue\/cb\/val.jsonl:3: label "maybe" is not one of entailment, contradiction, neutral/,
    );
  });

  test("p3 names the template a dataset lacks", async () => {
    await expect(
      run({
        source: "p3",
        templatesBaseUrl: `${server.url}/p3/templates`,
        rawBaseUrl: `${server.url}/p3/raw`,
        datasets: [{ name: "super_glue/cb", prompts: ["no such prompt"], testFile: "val.jsonl" }],
      }),
    ).rejects.toThrow(/super_glue\/cb\/templates.yaml: no template named "no such prompt"/);
  });

  const metaIclParams = (setting: string): { [key: string]: JsonValue } => ({
    source: "metaicl",
    configBaseUrl: `${server.url}/metaicl`,
    dataBaseUrl: `${server.url}/metaicl`,
    setting,
    trainK: 16,
    trainSeed: 100,
  });

  test("metaicl reads a setting and its data files", async () => {
    server.routes.set("/metaicl/config/fixture_split.json", Buffer.from(JSON.stringify({ train: ["openbookqa", "anli"], test: ["superglue-cb", "superglue-copa"] })));
    const { context } = await run(metaIclParams("fixture_split"));
    const folder = path.join(context.outputDir, "collections", "metaicl", "fixture_split");
    const index = readCollectionIndex(folder);
    expect(index.name).toBe("metaicl/fixture_split");
    expect(index.tasks.map((task) => [task.name, task.role, task.metric, task.trainCount, task.testCount])).toEqual([
      ["openbookqa", "train", "accuracy", 16, 0],
      ["anli", "train", "macro-f1", 16, 0],
      ["superglue-cb", "heldout", "macro-f1", 16, 56],
      ["superglue-copa", "heldout", "accuracy", 16, 100],
    ]);
    const cb = readTaskExamples(folder, "superglue-cb");
    expect(cb[0]!.choices).toEqual(["contradiction", "entailment", "neutral"]);
  });

  test("metaicl rejects a malformed data line with file and line", async () => {
    server.routes.set("/metaicl/config/fixture_split.json", Buffer.from(JSON.stringify({ train: ["anli"], test: [] })));
    const original = fs.readFileSync(path.join(fixturesFolder, "metaicl/data/anli/anli_16_100_train.jsonl"), "utf8").split("\n");
    original[2] = original[2]!.slice(0, 40);
    server.routes.set("/metaicl/data/anli/anli_16_100_train.jsonl", Buffer.from(original.join("\n")));
    const attempt = run(metaIclParams("fixture_split"));
    await expect(attempt).rejects.toThrow(/data\/anli\/anli_16_100_train.jsonl:3: invalid JSON/);
  });

  test("metaicl task names cannot leave their folders", async () => {
    const name = "../../evil";
    server.routes.set("/metaicl/config/escape.json", Buffer.from(JSON.stringify({ train: [name], test: [] })));
    // The server decodes the path, so these routes only match if the name reached it as one encoded segment.
    server.routes.set(`/metaicl/config/tasks/${name}.json`, Buffer.from(JSON.stringify({ task_type: "free-form", options: [] })));
    const line = JSON.stringify({ task: name, input: "a", output: "b", options: [] });
    server.routes.set(`/metaicl/data/${name}/${name}_16_100_train.jsonl`, Buffer.from(line + "\n"));
    const { context, root } = await run(metaIclParams("escape"));
    const tasks = fs.readdirSync(path.join(context.outputDir, "collections", "metaicl", "escape", "tasks"));
    expect(tasks).toEqual(["__.._evil.jsonl"]);
    expect(fs.readdirSync(root).sort()).toEqual(["output", "work"]);
    expect(server.requests.map((request) => request.path)).toContain(`/metaicl/data/${name}/${name}_16_100_train.jsonl`);
  });

  test("sni keeps English tasks with definitions and positives", async () => {
    const taskNames = ["task1146_country_capital", "task363_sst2_polarity_classification", "task1388_cb_entailment", "task1159_bard_analogical_reasoning_containers"];
    const { context, events } = await run({ source: "sni", baseUrl: `${server.url}/sni`, taskNames, maxTrainInstances: 50 });
    expect(events).toContainEqual({ type: "log", level: "info", message: "splits/default lists 756 training and 119 test tasks" });
    const folder = path.join(context.outputDir, "collections", "sni");
    const index = readCollectionIndex(folder);
    expect(index.tasks.map((task) => [task.name, task.role, task.trainCount, task.testCount])).toEqual([
      ["task1146_country_capital", "train", 50, 0],
      ["task363_sst2_polarity_classification", "train", 50, 0],
      ["task1159_bard_analogical_reasoning_containers", "heldout", 0, 66],
      ["task1388_cb_entailment", "heldout", 0, 23],
    ]);
    const capital = index.tasks.find((task) => task.name === "task1146_country_capital")!;
    expect(capital.definition).toMatch(/^In this task, you are given a country name/);
    expect(capital.positives![0]).toEqual({ input: "United States", output: "Washington" });
    const analogies = readTaskExamples(folder, "task1159_bard_analogical_reasoning_containers");
    expect(analogies.some((example) => (example.references?.length ?? 0) > 1)).toBe(true);
  });

  test("sni names a truncated task file", async () => {
    const text = fs.readFileSync(path.join(fixturesFolder, "sni/tasks/task1146_country_capital.json"));
    server.routes.set("/sni/tasks/task1146_country_capital.json", text.subarray(0, 5000));
    await expect(run({ source: "sni", baseUrl: `${server.url}/sni`, taskNames: ["task1146_country_capital"] })).rejects.toThrow(
      /tasks\/task1146_country_capital.json: invalid JSON/,
    );
  });

  test("c4 reads shards into the corpus", async () => {
    const { context, summary } = await run({ source: "c4", shards: 2, shardCount: 3 });
    expect(summary.corpus).toMatchObject({ documents: 20 });
    const first = JSON.parse(fs.readFileSync(path.join(context.outputDir, "corpus.jsonl"), "utf8").split("\n")[0]!);
    const expected = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(fixturesFolder, "c4/c4-sample.01.json.gz"))).toString("utf8").split("\n")[0]!);
    expect(first).toEqual({ text: expected.text });
  });

  test("c4 names a truncated gzip shard", async () => {
    const bytes = fs.readFileSync(path.join(fixturesFolder, "c4/c4-sample.02.json.gz"));
    server.routes.set(c4Path(1), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(run({ source: "c4", shards: 2, shardCount: 3 })).rejects.toThrow(/en\/c4-train.00001-of-00003.json.gz: invalid gzip data/);
  });

  test("c4 names a malformed line and stops at maxDocuments", async () => {
    const lines = zlib.gunzipSync(fs.readFileSync(path.join(fixturesFolder, "c4/c4-sample.01.json.gz"))).toString("utf8").split("\n");
    lines[3] = lines[3]!.slice(0, 50);
    server.routes.set(c4Path(0), zlib.gzipSync(lines.join("\n")));
    await expect(run({ source: "c4", shards: 1, shardCount: 3 })).rejects.toThrow(/en\/c4-train.00000-of-00003.json.gz:4: invalid JSON/);
    const { summary } = await run({ source: "c4", shards: 1, shardCount: 3, maxDocuments: 3 });
    expect(summary.corpus).toMatchObject({ documents: 3 });
  });

  test("a broken transfer resumes with a range request", async () => {
    server.faults.set(c4Path(0), { bytes: 1000, times: 1 });
    const { summary } = await run({ source: "c4", shards: 1, shardCount: 3 });
    expect(summary.corpus).toMatchObject({ documents: 10 });
    const ranges = server.requests.filter((request) => request.path === c4Path(0)).map((request) => request.range);
    expect(ranges).toEqual([undefined, "bytes=1000-"]);
  });

  test("a failed run leaves a partial file the next run resumes", async () => {
    server.faults.set(c4Path(0), { bytes: 1500, times: 4 });
    const first = makeStageContext("download", { endpoint: `${server.url}/hf`, source: "c4", shards: 1, shardCount: 3 });
    await expect(downloadStage.run(first.context)).rejects.toThrow(/failed after 4 attempts/);
    expect(fs.readdirSync(path.join(first.context.outputDir))).toEqual([]);
    const { summary } = await run({ source: "c4", shards: 1, shardCount: 3 }, first.root);
    expect(summary.corpus).toMatchObject({ documents: 10 });
    expect(server.requests.at(-1)!.range).toBe("bytes=6000-");
  });

  test("a checksum mismatch rejects the file", async () => {
    const file = path.join(makeStageContext("download", {}).root, "tokenizer.json");
    await expect(downloadFile({ url: `${server.url}${tokenizerPath}`, file, sha256: "0".repeat(64) })).rejects.toThrow(/failed its integrity check/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.part`)).toBe(false);
    const sha256 = fixtureSha256("t5/t5-v1_1-xxl/tokenizer/tokenizer.json");
    const result = await downloadFile({ url: `${server.url}${tokenizerPath}`, file, sha256, size: 2424256 });
    expect(result.sha256).toBe(sha256);
  });

  const fixtureSha256 = (relative: string): string => {
    const sums = fs.readFileSync(path.join(fixturesFolder, "SHA256SUMS"), "utf8");
    const line = sums.split("\n").find((candidate) => candidate.trim().endsWith(relative));
    return line!.split(/\s+/)[0]!;
  };

  test("LFS redirects give size and checksum", async () => {
    const bytes = fs.statSync(path.join(fixturesFolder, "c4/c4-sample.01.json.gz")).size;
    const headers = { "x-linked-size": String(bytes), "x-linked-etag": `"${fixtureSha256("c4/c4-sample.01.json.gz")}"` };
    server.redirects.set(c4Path(0), { location: "/storage/shard-0", headers });
    server.routes.set("/storage/shard-0", "c4/c4-sample.01.json.gz");
    process.env.HF_TOKEN = "hf_redirect_secret";
    try {
      const { summary } = await run({ source: "c4", shards: 1, shardCount: 3 });
      expect(summary.corpus).toMatchObject({ documents: 10 });
    } finally {
      delete process.env.HF_TOKEN;
    }
    const hub = server.requests.find((request) => request.path === c4Path(0))!;
    const storage = server.requests.find((request) => request.path === "/storage/shard-0")!;
    expect(hub.authorization).toBe("Bearer hf_redirect_secret");
    expect(storage.authorization).toBeUndefined();
  });

  test("LFS checksum mismatch publishes nothing", async () => {
    const headers = { "x-linked-etag": `"${fixtureSha256("c4/c4-sample.01.json.gz")}"` };
    server.redirects.set(c4Path(0), { location: "/storage/shard-0", headers });
    server.routes.set("/storage/shard-0", "c4/c4-sample.02.json.gz");
    const stage = makeStageContext("download", { endpoint: `${server.url}/hf`, source: "c4", shards: 1, shardCount: 3 });
    await expect(downloadStage.run(stage.context)).rejects.toThrow(/c4-train.00000-of-00003.json.gz failed its integrity check: sha256 [0-9a-f]{64}, expected/);
    expect(fs.readdirSync(stage.context.outputDir)).toEqual([]);
    expect(fs.readdirSync(path.join(stage.context.workDir, "downloads"))).toEqual([]);
  });

  test("HF_TOKEN goes to the hub only and is never written", async () => {
    const token = "hf_test_secret_value";
    process.env.HF_TOKEN = token;
    try {
      const { context, events, summary } = await run({ source: "t5-tokenizer", repo: "google/t5-v1_1-xxl" });
      expect(server.requests.at(-1)!.authorization).toBe(`Bearer ${token}`);
      expect(JSON.stringify(events)).not.toContain(token);
      expect(JSON.stringify(summary)).not.toContain(token);
      for (const folder of [context.outputDir, context.workDir]) {
        for (const file of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
          if (file.isFile()) expect(fs.readFileSync(path.join(file.parentPath, file.name), "utf8")).not.toContain(token);
        }
      }
    } finally {
      delete process.env.HF_TOKEN;
    }
  });

  test("t5-tokenizer converts spiece.model when tokenizer.json is missing", async () => {
    server.routes.delete(tokenizerPath);
    server.routes.set("/hf/google/t5-large-lm-adapt/resolve/main/spiece.model", "t5/spiece.model");
    const { context, summary, events } = await run({ source: "t5-tokenizer", repo: "google/t5-large-lm-adapt" });
    expect(summary.file).toBe("spiece.model");
    expect(events).toContainEqual({ type: "log", level: "info", message: "no tokenizer.json in the repository; converting spiece.model" });
    const converted = JSON.parse(fs.readFileSync(path.join(context.outputDir, "tokenizer", "tokenizer.json"), "utf8"));
    const reference = JSON.parse(fs.readFileSync(path.join(fixturesFolder, "t5/t5-v1_1-xxl/tokenizer/tokenizer.json"), "utf8"));
    expect(converted).toEqual(reference);
  });

  test("tokenize with T5's tokenizer.json adds <x> and <y>", async () => {
    const tokenizer = await run({ source: "t5-tokenizer", repo: "google/t5-v1_1-xxl" });
    const sni = await run({ source: "sni", baseUrl: `${server.url}/sni`, taskNames: ["task1146_country_capital", "task1388_cb_entailment"] });
    const c4 = await run({ source: "c4", shards: 1, shardCount: 3 });
    const stage = makeStageContext("tokenize", { tokenizer: "t5" }, {
      "download/t5-tokenizer": tokenizer.context.outputDir,
      "download/sni": sni.context.outputDir,
      "download/c4": c4.context.outputDir,
    });
    await tokenizeStage.run(stage.context);
    const dataset = openTokenizedDataset(stage.context.outputDir);
    expect(dataset.tokenizerInfo).toMatchObject({ kind: "t5", vocabSize: 32102, xId: 32100, yId: 32101, padId: 0, eosId: 1, unkId: 2 });
    expect(dataset.tokenizerInfo.sentinelIds[0]).toBe(32099);
    const task = dataset.collection("sni").task("task1146_country_capital");
    // "Afghanistan" → "Kabul" with T5's SentencePiece vocabulary.
    expect(dataset.tokenizer().decode(task.train[0]!.input)).toBe("Afghanistan");
    expect(dataset.tokenizer().decode(task.train[0]!.target)).toBe("Kabul");
    expect(dataset.corpus().documentCount).toBe(10);
    expect(listCollections(path.join(stage.context.outputDir, "collections")).map((collection) => collection.name)).toEqual(["sni"]);
  });
});
