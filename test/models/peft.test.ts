import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HyperT5,
  initBackend,
  loadAdapter,
  Lora,
  PrefixFlat,
  PrefixMlp,
  prefixParametersFromTensor,
  readSafetensors,
  saveParameters,
  T5Model,
  type PeftParameters,
  type T5Batch,
} from "../../src/models/index.js";
import { disposeBatch, goldenFolder, haveGolden, maxAbsDifference, tinyBatch, tinyConfig } from "./helpers.js";

const config = tinyConfig();
let model: T5Model;
let batch: T5Batch;
let scratch: string;

beforeAll(async () => {
  await initBackend(undefined, () => {});
  model = T5Model.create(config, 11);
  batch = tinyBatch(config);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "models-peft-"));
});

afterAll(() => {
  model.dispose();
  disposeBatch(batch);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Logits of `rows` as a flat array; `peft` may be a function so that generated parameters are freed too. */
function logits(peft?: PeftParameters | (() => PeftParameters), rows: T5Batch = batch): number[] {
  return tf.tidy(() => Array.from(model.forward(rows, { peft: typeof peft === "function" ? peft() : peft }).dataSync()));
}

function rowOf(row: number): T5Batch {
  const take = (tensor: tf.Tensor2D): tf.Tensor2D => tf.slice(tensor, [row, 0], [1, -1]);
  return { inputIds: take(batch.inputIds), attentionMask: take(batch.attentionMask), labels: take(batch.labels!) };
}

describe("per-example PEFT parameters", () => {
  it("each row equals that row alone", () => {
    const modules = [0, 1, 2].map((seed) => ({ prefix: PrefixFlat.random(config, 2, seed), lora: Lora.random(config, 2, seed + 10) }));
    // Non-zero B so that each row's LoRA changes its output.
    for (const { lora } of modules) for (const [name, variable] of lora.variables) if (name.includes("lora_B")) variable.assign(tf.randomNormal(variable.shape, 0, 0.3, "float32", 5));
    const perRow = modules.map(({ prefix, lora }) => ({ tensors: { ...prefix.parameters().tensors, ...lora.parameters().tensors }, loraScale: 1 }));
    const stacked: PeftParameters = { tensors: {}, loraScale: 1 };
    for (const name of Object.keys(perRow[0]!.tensors)) stacked.tensors[name] = tf.stack(perRow.map((peft) => peft.tensors[name]!));
    const together = logits(stacked);
    const rowSize = together.length / 3;
    for (let row = 0; row < 3; row++) {
      const single = rowOf(row);
      const alone = logits(perRow[row], single);
      expect(maxAbsDifference(together.slice(row * rowSize, (row + 1) * rowSize), alone)).toBeLessThanOrEqual(1e-5);
      // Another row's parameters give a different result, so the comparison is not trivial.
      expect(maxAbsDifference(logits(perRow[(row + 1) % 3], single), alone)).toBeGreaterThan(1e-3);
      disposeBatch(single);
    }
    tf.dispose(Object.values(stacked.tensors));
    for (const { prefix, lora } of modules) {
      prefix.dispose();
      lora.dispose();
    }
  });

  it("stacked prefix tensor maps to names", () => {
    const inner = config.num_heads * config.d_kv;
    const phi = tf.randomNormal([3, config.num_layers, 2, 2, 2, inner], 0, 1, "float32", 9);
    const named = prefixParametersFromTensor(config, phi);
    const key = named.tensors["decoder.block.1.layer.0.SelfAttention.prefix_k"]!;
    const value = named.tensors["encoder.block.0.layer.0.SelfAttention.prefix_v"]!;
    expect(key.shape).toEqual([3, 2, inner]);
    expect(Array.from(key.dataSync())).toEqual(Array.from(tf.slice(phi, [0, 1, 1, 0, 0, 0], [-1, 1, 1, 1, -1, -1]).dataSync()));
    expect(Array.from(value.dataSync())).toEqual(Array.from(tf.slice(phi, [0, 0, 0, 1, 0, 0], [-1, 1, 1, 1, -1, -1]).dataSync()));
    expect(() => prefixParametersFromTensor(config, tf.zeros([3, 2, 2, 2, inner]))).toThrow(/must have shape/);
    tf.dispose([phi, ...Object.values(named.tensors)]);
  });

  it("fresh LoRA leaves the model unchanged", () => {
    const lora = Lora.random(config, 4, 3);
    expect(maxAbsDifference(logits(lora.parameters()), logits())).toBe(0);
    lora.dispose();
  });
});

describe("adapter files", () => {
  it("Prefix-Flat round trip", async () => {
    const prefix = PrefixFlat.random(config, 3, 4);
    const file = path.join(scratch, "prefix.safetensors");
    await prefix.save(file);
    const loaded = loadAdapter(config, file);
    expect(loaded.kind).toBe("prefix-flat");
    expect(maxAbsDifference(logits(loaded.parameters()), logits(prefix.parameters()))).toBe(0);
    expect([...readSafetensors(file).keys()]).toContain("decoder.block.1.layer.0.SelfAttention.prefix_v");
    prefix.dispose();
    loaded.dispose();
  });

  it("Prefix-MLP round trip", async () => {
    const module = PrefixMlp.random(config, 2, 4);
    const file = path.join(scratch, "prefix-mlp.safetensors");
    await module.save(file);
    const loaded = loadAdapter(config, file);
    expect(loaded.kind).toBe("prefix-mlp");
    expect(maxAbsDifference(logits(loaded.parameters()), logits(module.parameters()))).toBe(0);
    module.dispose();
    loaded.dispose();
  });

  it("LoRA in PEFT's layout", async () => {
    const lora = Lora.random(config, 2, 4, 8);
    for (const [name, variable] of lora.variables) if (name.includes("lora_B")) variable.assign(tf.randomNormal(variable.shape, 0, 0.3, "float32", 6));
    const folder = path.join(scratch, "lora");
    await lora.save(folder);
    const adapterConfig = JSON.parse(fs.readFileSync(path.join(folder, "adapter_config.json"), "utf8")) as Record<string, unknown>;
    expect(adapterConfig.peft_type).toBe("LORA");
    expect(adapterConfig.r).toBe(2);
    expect(adapterConfig.lora_alpha).toBe(8);
    expect(adapterConfig.target_modules).toEqual(["q", "v"]);
    const names = [...readSafetensors(path.join(folder, "adapter_model.safetensors")).keys()];
    expect(names).toContain("base_model.model.decoder.block.1.layer.1.EncDecAttention.v.lora_B.weight");
    expect(names).toHaveLength(2 * 2 * 3 * 2);
    const loaded = loadAdapter(config, folder);
    expect(loaded.parameters().loraScale).toBe(4);
    expect(maxAbsDifference(logits(loaded.parameters()), logits(lora.parameters()))).toBe(0);
    lora.dispose();
    loaded.dispose();
  });

  it("LoRA with a wrong target is rejected", async () => {
    const lora = Lora.random(config, 2, 4);
    const folder = path.join(scratch, "lora-bad");
    await lora.save(folder);
    const configFile = path.join(folder, "adapter_config.json");
    const adapterConfig = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(configFile, JSON.stringify({ ...adapterConfig, target_modules: ["q", "k", "v"] }));
    expect(() => Lora.load(config, folder)).toThrow(/target_modules/);
    lora.dispose();
  });

  it.skipIf(!haveGolden)("golden adapters load as Prefix-Flat", () => {
    const goldenConfig = JSON.parse(fs.readFileSync(path.join(goldenFolder, "config.json"), "utf8")) as Record<string, unknown>;
    const prefix = PrefixFlat.load({ ...tinyConfig(), ...goldenConfig } as never, path.join(goldenFolder, "adapters.safetensors"));
    expect(prefix.length).toBe(3);
    expect(prefix.variables.size).toBe(8);
    prefix.dispose();
  });
});

describe("HyperT5", () => {
  const fewShotIds = [2, 3, 4, 5, 6, 1];

  it("generated parameters saved as an adapter", async () => {
    for (const kind of ["prefix", "lora"] as const) {
      const hyper = HyperT5.fromDownstream(model, { kind, prefixLength: 2, loraRank: 2, seed: 1 });
      if (kind === "lora") for (const [name, variable] of hyper.extra) if (name.endsWith(".gate")) variable.assign(tf.fill(variable.shape, 0.5));
      const generated = tf.tidy(() => {
        const peft = hyper.generateOne(fewShotIds);
        return { tensors: Object.fromEntries(Object.entries(peft.tensors).map(([n, t]) => [n, tf.keep(t)])), loraScale: peft.loraScale };
      });
      const target = path.join(scratch, `adapt-${kind}`);
      const saved = await saveParameters(config, generated, kind === "prefix" ? `${target}.safetensors` : target);
      expect(saved).toBe(kind === "prefix" ? "prefix-flat" : "lora");
      const loaded = loadAdapter(config, kind === "prefix" ? `${target}.safetensors` : target);
      expect(maxAbsDifference(logits(loaded.parameters()), logits(generated))).toBeLessThanOrEqual(1e-6);
      expect(maxAbsDifference(logits(generated), logits())).toBeGreaterThan(1e-4);
      loaded.dispose();
      tf.dispose(Object.values(generated.tensors));
      hyper.dispose();
    }
  });

  it("save and load keep the output", async () => {
    const hyper = HyperT5.fromDownstream(model, { kind: "prefix", prefixLength: 2, seed: 2 });
    const folder = path.join(scratch, "hyper");
    await hyper.save(folder);
    const loaded = HyperT5.load(folder);
    const before = logits(() => hyper.generateOne(fewShotIds));
    const after = logits(() => loaded.generateOne(fewShotIds));
    expect(maxAbsDifference(before, after)).toBe(0);
    hyper.dispose();
    loaded.dispose();
  });

  it("Prefix-MLP from the hypermodel's heads", async () => {
    const hyper = HyperT5.fromDownstream(model, { kind: "prefix", prefixLength: 2, seed: 3 });
    const initial = hyper.prefixMlpInitialization(fewShotIds);
    const module = await PrefixMlp.fromTensors(config, initial);
    const fromHyper = logits(() => hyper.generateOne(fewShotIds));
    expect(maxAbsDifference(logits(module.parameters()), fromHyper)).toBeLessThanOrEqual(1e-5);
    tf.dispose([...initial.values()]);
    module.dispose();
    hyper.dispose();
  });
});
