import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, loadT5, readSafetensors, saveT5, T5Model, writeSafetensors, type TensorFile } from "../../src/models/index.js";
import { configToHuggingFace } from "../../src/models/config.js";
import { disposeBatch, maxAbsDifference, tinyBatch, tinyConfig } from "./helpers.js";

const config = tinyConfig();
let model: T5Model;
let scratch: string;
let weights: TensorFile;

beforeAll(async () => {
  await initBackend(undefined, () => {});
  model = T5Model.create(config, 21);
  weights = await model.toTensors();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "models-checkpoint-"));
});

afterAll(() => {
  model.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A checkpoint folder with `tensors` and the tiny config; returns its path. */
function folderWith(name: string, tensors: TensorFile): string {
  const folder = path.join(scratch, name);
  fs.mkdirSync(folder, { recursive: true });
  writeSafetensors(path.join(folder, "model.safetensors"), tensors);
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configToHuggingFace(config)));
  return folder;
}

/** Writes a safetensors file by hand with the given dtype and raw data for one tensor. */
function writeRaw(file: string, header: Record<string, unknown>, data: Buffer): void {
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), data]));
}

function logitsOf(loaded: T5Model): number[] {
  const batch = tinyBatch(config);
  const values = tf.tidy(() => Array.from(loaded.forward(batch).dataSync()));
  disposeBatch(batch);
  return values;
}

describe("T5 checkpoints", () => {
  it("save and load round trip", async () => {
    const folder = path.join(scratch, "saved");
    await saveT5(model, folder);
    const loaded = loadT5(folder);
    expect(maxAbsDifference(logitsOf(loaded), logitsOf(model))).toBe(0);
    loaded.dispose();
  });

  it("sharded checkpoint with an index", () => {
    const folder = path.join(scratch, "sharded");
    fs.mkdirSync(folder, { recursive: true });
    const names = [...weights.keys()];
    const shards: TensorFile[] = [new Map(), new Map()];
    const weightMap: Record<string, string> = {};
    names.forEach((name, i) => {
      shards[i % 2]!.set(name, weights.get(name)!);
      weightMap[name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
    });
    shards.forEach((shard, i) => writeSafetensors(path.join(folder, `model-0000${i + 1}-of-00002.safetensors`), shard));
    fs.writeFileSync(path.join(folder, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configToHuggingFace(config)));
    const loaded = loadT5(folder);
    expect(maxAbsDifference(logitsOf(loaded), logitsOf(model))).toBe(0);
    loaded.dispose();
  });

  it("duplicated embed_tokens are ignored", () => {
    const withCopies = new Map(weights);
    withCopies.set("encoder.embed_tokens.weight", weights.get("shared.weight")!);
    withCopies.set("decoder.embed_tokens.weight", weights.get("shared.weight")!);
    const loaded = loadT5(folderWith("copies", withCopies));
    loaded.dispose();
  });

  it("missing tensor is named", () => {
    const missing = new Map(weights);
    missing.delete("decoder.block.1.layer.2.DenseReluDense.wo.weight");
    const folder = folderWith("missing", missing);
    expect(() => loadT5(folder)).toThrow(/model\.safetensors: tensor "decoder\.block\.1\.layer\.2\.DenseReluDense\.wo\.weight" is missing/);
  });

  it("extra tensor is named", () => {
    const extra = new Map(weights);
    extra.set("encoder.block.0.layer.0.SelfAttention.q.bias", { shape: [12], values: new Float32Array(12) });
    expect(() => loadT5(folderWith("extra", extra))).toThrow(/unexpected tensor "encoder\.block\.0\.layer\.0\.SelfAttention\.q\.bias"/);
  });

  it("misshaped tensor is named", () => {
    const misshaped = new Map(weights);
    misshaped.set("lm_head.weight", { shape: [config.d_model, config.vocab_size], values: weights.get("lm_head.weight")!.values });
    expect(() => loadT5(folderWith("misshaped", misshaped))).toThrow(/tensor "lm_head\.weight" has shape \[8,24\], expected \[24,8\]/);
  });

  it("truncated file is reported", () => {
    const folder = folderWith("truncated", weights);
    const file = path.join(folder, "model.safetensors");
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    expect(() => loadT5(folder)).toThrow(/model\.safetensors: tensor "[^"]+" ends at byte \d+ of the data section, which has only \d+ bytes/);
  });

  it("header lying about offsets is reported", () => {
    const file = path.join(scratch, "lying.safetensors");
    writeRaw(file, { a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }, Buffer.alloc(16));
    expect(() => readSafetensors(file)).toThrow(/lying\.safetensors: tensor "a": data_offsets \[0, 12\] hold 12 bytes, but F32 \[2,2\] needs 16/);
    writeRaw(file, { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, Buffer.alloc(12));
    expect(() => readSafetensors(file)).toThrow(/tensors "a" and "b" overlap/);
    writeRaw(file, { a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
    expect(() => readSafetensors(file)).toThrow(/tensor "a" has dtype "I64"/);
  });

  it("header length beyond the file is reported", () => {
    const file = path.join(scratch, "short.safetensors");
    const bytes = Buffer.alloc(12);
    bytes.writeBigUInt64LE(1000n);
    fs.writeFileSync(file, bytes);
    expect(() => readSafetensors(file)).toThrow(/short\.safetensors: truncated or not safetensors: header length 1000/);
  });

  it("F16 and BF16 become float32", () => {
    const file = path.join(scratch, "half.safetensors");
    const data = Buffer.alloc(12);
    // F16: 1.0, -2.0, 0.5; BF16: 1.0, -2.0, 3.0.
    [0x3c00, 0xc000, 0x3800].forEach((bits, i) => data.writeUInt16LE(bits, i * 2));
    [0x3f80, 0xc000, 0x4040].forEach((bits, i) => data.writeUInt16LE(bits, 6 + i * 2));
    writeRaw(file, { half: { dtype: "F16", shape: [3], data_offsets: [0, 6] }, brain: { dtype: "BF16", shape: [3], data_offsets: [6, 12] } }, data);
    const tensors = readSafetensors(file);
    expect(Array.from(tensors.get("half")!.values)).toEqual([1, -2, 0.5]);
    expect(Array.from(tensors.get("brain")!.values)).toEqual([1, -2, 3]);
  });

  it("tied T5 v1.0 config is rejected", () => {
    const folder = folderWith("tied", weights);
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...configToHuggingFace(config), tie_word_embeddings: true }));
    expect(() => loadT5(folder)).toThrow(/config\.json: tie_word_embeddings is true/);
  });
});
