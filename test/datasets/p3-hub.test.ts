import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import downloadStage from "../../stages/download.js";
import { readCollectionIndex, readTaskExamples } from "../../datasets/index.js";
import { bytesValues, decodeTfExample, floatValues, int64Values } from "../../datasets/hub/p3-tf-example.js";
import { crc32c, maskedCrc32c } from "../../datasets/hub/p3-tfrecord.js";
import { fixturesFolder, haveFixtures, startFixtureServer, type FixtureServer } from "./fixture-server.js";
import { makeStageContext } from "./stage-context.js";
import type { JsonValue } from "../../src/engine/stage.js";

// A TFRecord and tf.train.Example writer, written from the format description rather than shared with the reader,
// so a reader bug shows up as a failing test.

function varint(value: bigint): number[] {
  let rest = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? byte | 0x80 : byte);
  } while (rest > 0n);
  return bytes;
}

function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(varint(BigInt(field * 8 + 2))), Buffer.from(varint(BigInt(payload.length))), payload]);
}

type FeatureValue = { bytes: string[] } | { int64: number[]; packed?: boolean } | { float: number[] };

function encodeFeature(value: FeatureValue): Buffer {
  if ("bytes" in value) {
    return lengthDelimited(1, Buffer.concat(value.bytes.map((text) => lengthDelimited(1, Buffer.from(text, "utf8")))));
  }
  if ("int64" in value) {
    const list = value.packed === false
      ? Buffer.concat(value.int64.map((number) => Buffer.from([0x08, ...varint(BigInt(number))])))
      : lengthDelimited(1, Buffer.from(value.int64.flatMap((number) => varint(BigInt(number)))));
    return lengthDelimited(3, list);
  }
  const floats = Buffer.alloc(4 * value.float.length);
  value.float.forEach((number, index) => floats.writeFloatLE(number, 4 * index));
  return lengthDelimited(2, lengthDelimited(1, floats));
}

function encodeExample(features: Record<string, FeatureValue>): Buffer {
  const entries = Object.entries(features).map(([key, value]) =>
    lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(key, "utf8")), lengthDelimited(2, encodeFeature(value))])),
  );
  return lengthDelimited(1, Buffer.concat(entries));
}

/** Frames records as TFRecord and returns the file with each record's byte offset. */
function tfRecordFile(records: Buffer[]): { file: Buffer; offsets: number[] } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const data of records) {
    const header = Buffer.alloc(12);
    header.writeBigUInt64LE(BigInt(data.length), 0);
    header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
    const footer = Buffer.alloc(4);
    footer.writeUInt32LE(maskedCrc32c(data), 0);
    parts.push(header, data, footer);
    offsets.push(offset);
    offset += 16 + data.length;
  }
  return { file: Buffer.concat(parts), offsets };
}

interface TextRow {
  input: string;
  target: string;
  choices?: string[];
}

function rowRecord(row: TextRow): Buffer {
  const features: Record<string, FeatureValue> = {
    inputs_pretokenized: { bytes: [row.input] },
    targets_pretokenized: { bytes: [row.target] },
    // Stand-ins for token ids: the loader must skip them, whatever they hold.
    inputs: { int64: [...Buffer.from(row.input)].slice(0, 8) },
    targets: { int64: [1] },
  };
  if (row.choices) features.answer_choices = { bytes: row.choices };
  return encodeExample(features);
}

function splitInfo(withChoices: boolean): Buffer {
  const features: Record<string, JsonValue> = {
    inputs: { dtype: "int32", shape: [null] },
    inputs_pretokenized: { dtype: "string", shape: [] },
    targets: { dtype: "int32", shape: [null] },
    targets_pretokenized: { dtype: "string", shape: [] },
  };
  if (withChoices) features.answer_choices = { dtype: "string", shape: [null] };
  return Buffer.from(JSON.stringify({ features, num_shards: 1, seqio_version: "0.0.6" }));
}

const hubData = "/hf/datasets/bigscience/P3/resolve/main/data";

/** Serves `rows` as `data/<subset>/<split>.tfrecord-00000-of-00001` with its `info.<split>.json` and returns the file. */
function serveSplit(server: FixtureServer, subset: string, split: string, rows: TextRow[]): { file: Buffer; offsets: number[]; path: string } {
  const framed = tfRecordFile(rows.map(rowRecord));
  const filePath = `${hubData}/${subset}/${split}.tfrecord-00000-of-00001`;
  server.routes.set(`${hubData}/${subset}/info.${split}.json`, splitInfo(rows.some((row) => row.choices)));
  server.routes.set(filePath, framed.file);
  return { ...framed, path: filePath };
}

const cbVerbalizer: Record<string, string> = { entailment: "True", contradiction: "False", neutral: "Neither" };

/** CB validation rows rendered with PromptSource's "GPT-3 style" prompt, as P3 stores them. */
function cbRows(): TextRow[] {
  const lines = fs.readFileSync(path.join(fixturesFolder, "p3/raw/super_glue/cb/val.jsonl"), "utf8").trim().split("\n");
  return lines.map((line) => {
    const row = JSON.parse(line) as { premise: string; hypothesis: string; label: string };
    return {
      input: `${row.premise}\nQuestion: ${row.hypothesis} True, False, or Neither?`,
      target: ` ${cbVerbalizer[row.label]}`,
      choices: ["True", "False", "Neither"],
    };
  });
}

const literalRows: TextRow[] = [
  { input: "Summarize: the cat sat on the mat.", target: "A cat sat." },
  { input: "Summarize: rain fell all day in the city.", target: "It rained." },
  { input: "Summarize: the team won the final match.", target: "The team won." },
  { input: "Summarize: prices rose again this month.", target: "Prices rose." },
];

describe("CRC32C", () => {
  test("matches the standard check value", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });

  test("masks by rotating and adding the TFRecord constant", () => {
    const crc = 0xe3069283;
    const expected = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
    expect(maskedCrc32c(Buffer.from("123456789"))).toBe(expected);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe("tf.train.Example decoding", () => {
  test("reads packed and unpacked int64 and floats", () => {
    const example = decodeTfExample(
      encodeExample({
        packed: { int64: [0, 1, 300, -5, 2 ** 40] },
        unpacked: { int64: [7, -1], packed: false },
        weight: { float: [0.5, -2] },
        text: { bytes: ["é", ""] },
      }),
    );
    expect(int64Values(example.get("packed")!, "packed")).toEqual([0, 1, 300, -5, 2 ** 40]);
    expect(int64Values(example.get("unpacked")!, "unpacked")).toEqual([7, -1]);
    expect(floatValues(example.get("weight")!, "weight")).toEqual([0.5, -2]);
    expect(bytesValues(example.get("text")!, "text")).toEqual(["é", ""]);
  });

  test("rejects a kind mismatch and overruns", () => {
    const example = decodeTfExample(encodeExample({ ids: { int64: [1, 2] } }));
    expect(() => bytesValues(example.get("ids")!, "ids")).toThrow(/feature "ids" is a int64 list, expected a bytes list/);
    expect(() => decodeTfExample(Buffer.from([0x0a, 0x05, 0x0a]))).toThrow(/runs past the end of the message/);
  });
});

describe("P3 from hub TFRecord files", () => {
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
  });

  const run = async (params: { [key: string]: JsonValue }) => {
    const stage = makeStageContext("download", { source: "p3", format: "tfrecord", endpoint: `${server.url}/hf`, ...params });
    try {
      const summary = await downloadStage.run(stage.context);
      return { ...stage, summary, error: undefined };
    } catch (error) {
      return { ...stage, summary: undefined, error: error as Error };
    }
  };

  const summarySubset = { name: "summary_prompt", role: "train", splits: { train: "train" } };

  test.skipIf(!haveFixtures)("writes the collection with answer choices", async () => {
    const rows = cbRows();
    serveSplit(server, "super_glue_cb_GPT_3_style", "train", rows.slice(0, 16));
    serveSplit(server, "super_glue_cb_GPT_3_style", "validation", rows.slice(16));
    serveSplit(server, "summary_prompt", "train", literalRows);
    const { context, error } = await run({
      subsets: [{ name: "super_glue_cb_GPT_3_style", role: "heldout" }, summarySubset],
      maxTrainExamples: 3,
    });
    expect(error).toBeUndefined();

    const folder = path.join(context.outputDir, "collections", "p3");
    const index = readCollectionIndex(folder);
    expect(index.tasks.map((task) => [task.name, task.role, task.taskType, task.trainCount, task.testCount])).toEqual([
      ["super_glue_cb_GPT_3_style", "heldout", "multi-choice", 3, 40],
      ["summary_prompt", "train", "free-form", 3, 0],
    ]);
    expect(index.tasks[0]!.source).toBe("bigscience/P3@main data/super_glue_cb_GPT_3_style");

    const cb = readTaskExamples(folder, "super_glue_cb_GPT_3_style");
    const firstTest = cb.find((example) => example.split === "test")!;
    expect(firstTest.input).toBe(rows[16]!.input);
    expect(firstTest.target).toBe(rows[16]!.target.trim());
    expect(firstTest.choices).toEqual(["True", "False", "Neither"]);
    const summaries = readTaskExamples(folder, "summary_prompt");
    expect(summaries[0]).toEqual({ input: literalRows[0]!.input, target: literalRows[0]!.target, split: "train" });
  });

  test("sends the token to the hub and resumes a broken transfer", async () => {
    const served = serveSplit(server, "summary_prompt", "train", literalRows);
    server.faults.set(served.path, { bytes: 40, times: 1 });
    process.env.HF_TOKEN = "test-token";
    try {
      const { error } = await run({ subsets: [summarySubset] });
      expect(error).toBeUndefined();
    } finally {
      delete process.env.HF_TOKEN;
    }
    const fileRequests = server.requests.filter((request) => request.path === served.path);
    expect(fileRequests.map((request) => request.range)).toEqual([undefined, "bytes=40-"]);
    expect(fileRequests.every((request) => request.authorization === "Bearer test-token")).toBe(true);
  });

  test("reads shards in order up to the limit", async () => {
    const info = JSON.parse(splitInfo(false).toString()) as { num_shards: number };
    info.num_shards = 2;
    server.routes.set(`${hubData}/summary_prompt/info.train.json`, Buffer.from(JSON.stringify(info)));
    const shardPath = (shard: number): string => `${hubData}/summary_prompt/train.tfrecord-0000${shard}-of-00002`;
    server.routes.set(shardPath(0), tfRecordFile(literalRows.slice(0, 2).map(rowRecord)).file);
    server.routes.set(shardPath(1), tfRecordFile(literalRows.slice(2).map(rowRecord)).file);

    const all = await run({ subsets: [summarySubset] });
    expect(all.error).toBeUndefined();
    const folder = path.join(all.context.outputDir, "collections", "p3");
    expect(readTaskExamples(folder, "summary_prompt").map((example) => example.input)).toEqual(literalRows.map((row) => row.input));

    server.requests.length = 0;
    const limited = await run({ subsets: [summarySubset], maxTrainExamples: 2 });
    expect(limited.error).toBeUndefined();
    expect(server.requests.map((request) => request.path)).not.toContain(shardPath(1));
  });

  const expectUnpublished = (outputDir: string): void => {
    expect(fs.existsSync(path.join(outputDir, "collections"))).toBe(false);
  };

  test("names the record with a CRC mismatch", async () => {
    const served = serveSplit(server, "summary_prompt", "train", literalRows);
    const corrupt = Buffer.from(served.file);
    corrupt[served.offsets[2]! + 12 + 5]! ^= 0xff;
    server.routes.set(served.path, corrupt);
    const { context, error } = await run({ subsets: [summarySubset] });
    expect(error?.message).toBe(
      `bigscience/P3 data/summary_prompt/train.tfrecord-00000-of-00001: record 2 at byte ${served.offsets[2]}: data checksum mismatch (masked CRC32C), so the file is corrupt`,
    );
    expectUnpublished(context.outputDir);
  });

  test("names the record with a corrupt length", async () => {
    const served = serveSplit(server, "summary_prompt", "train", literalRows);
    const corrupt = Buffer.from(served.file);
    corrupt[served.offsets[1]!]! ^= 0x01;
    server.routes.set(served.path, corrupt);
    const { error } = await run({ subsets: [summarySubset] });
    expect(error?.message).toMatch(new RegExp(`train.tfrecord-00000-of-00001: record 1 at byte ${served.offsets[1]}: length checksum mismatch`));
  });

  test("names the truncated record", async () => {
    const served = serveSplit(server, "summary_prompt", "train", literalRows);
    server.routes.set(served.path, served.file.subarray(0, served.offsets[3]! + 20));
    const { context, error } = await run({ subsets: [summarySubset] });
    expect(error?.message).toMatch(
      new RegExp(`data/summary_prompt/train.tfrecord-00000-of-00001: record 3 at byte ${served.offsets[3]}: truncated record: its length is \\d+ bytes but only 4 follow`),
    );
    expectUnpublished(context.outputDir);

    server.routes.set(served.path, served.file.subarray(0, served.offsets[3]! + 5));
    const header = await run({ subsets: [summarySubset] });
    expect(header.error?.message).toMatch(new RegExp(`record 3 at byte ${served.offsets[3]}: truncated record header \\(5 of 12 bytes\\)`));
  });

  test("names the record with a malformed protobuf", async () => {
    const records = literalRows.map(rowRecord);
    records[1] = Buffer.from([0x0a, 0x40, 0x0a, 0x02]);
    const framed = tfRecordFile(records);
    server.routes.set(`${hubData}/summary_prompt/info.train.json`, splitInfo(false));
    server.routes.set(`${hubData}/summary_prompt/train.tfrecord-00000-of-00001`, framed.file);
    const { context, error } = await run({ subsets: [summarySubset] });
    expect(error?.message).toMatch(new RegExp(`train.tfrecord-00000-of-00001: record 1 at byte ${framed.offsets[1]}: field of 64 bytes at byte 2 runs past the end`));
    expectUnpublished(context.outputDir);
  });

  test("names the record missing a feature", async () => {
    const records = literalRows.map(rowRecord);
    records[2] = encodeExample({ targets_pretokenized: { bytes: ["only a target"] } });
    const framed = tfRecordFile(records);
    server.routes.set(`${hubData}/summary_prompt/info.train.json`, splitInfo(false));
    server.routes.set(`${hubData}/summary_prompt/train.tfrecord-00000-of-00001`, framed.file);
    const { error } = await run({ subsets: [summarySubset] });
    expect(error?.message).toMatch(new RegExp(`record 2 at byte ${framed.offsets[2]}: feature "inputs_pretokenized" is missing`));
  });

  test("rejects a target outside the answer choices", async () => {
    serveSplit(server, "choice_prompt", "train", [{ input: "Is it?", target: " Maybe", choices: ["Yes", "No"] }]);
    const { error } = await run({ subsets: [{ name: "choice_prompt", role: "train", splits: { train: "train" } }] });
    expect(error?.message).toMatch(/record 0 at byte 0: target "Maybe" is not one of the answer choices \["Yes","No"\]/);
  });

  test("rejects scoring subsets and bad parameters", async () => {
    const info = JSON.parse(splitInfo(true).toString()) as { features: Record<string, JsonValue> };
    info.features.is_correct = { dtype: "bool", shape: [] };
    server.routes.set(`${hubData}/cb_score_eval/info.validation.json`, Buffer.from(JSON.stringify(info)));
    const scoring = await run({ subsets: [{ name: "cb_score_eval", role: "heldout", splits: { test: "validation" } }] });
    expect(scoring.error?.message).toMatch(/info.validation.json: subset cb_score_eval is a scoring variant/);

    const badRole = await run({ subsets: [{ name: "cb", role: "test" }] });
    expect(badRole.error?.message).toMatch(/params.subsets.0.role is invalid for the P3 tfrecord source: must be equal to one of the allowed values/);
    const unknownKey = await run({ subsets: [{ name: "cb", role: "train", split: "train" }] });
    expect(unknownKey.error?.message).toMatch(/params.subsets.0 is invalid .* must NOT have additional properties "split"/);
    const badFormat = await run({ format: "parquet", subsets: [] });
    expect(badFormat.error?.message).toMatch(/params.format "parquet" is invalid: expected "templates" or "tfrecord"/);
  });
});
