import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  initBackend,
  labelLoss,
  loadT5,
  readSafetensors,
  type PeftParameters,
  type T5Batch,
  type T5Model,
} from "../../src/models/index.js";
import { relativePositionBucket } from "../../src/models/layers.js";
import { goldenFolder, haveGolden, maxAbsDifference } from "./helpers.js";

if (!haveGolden) console.log(`Skipping the T5 golden tests: ${goldenFolder} is absent (set HYPERTUNE_FIXTURES to its parent).`);

interface GoldenCase {
  loss: number;
  logits: number[][][];
  grads_of_loss: Record<string, number[] | number[][]>;
  encoder_last_hidden_state?: number[][][];
}
interface Golden {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  decoder_input_ids: number[][];
  relative_position_bucket: { relative_positions: number[]; num_buckets: number; max_distance: number; bidirectional: number[]; unidirectional: number[] };
  cases: Record<"base" | "prefix" | "lora" | "prefix_lora", GoldenCase>;
}

describe.skipIf(!haveGolden)("T5 against the golden fixture", () => {
  let golden: Golden;
  let model: T5Model;
  let batch: T5Batch;
  let adapterTensors: Map<string, tf.Tensor>;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    golden = JSON.parse(fs.readFileSync(path.join(goldenFolder, "golden.json"), "utf8")) as Golden;
    model = loadT5(goldenFolder);
    batch = {
      inputIds: tf.tensor2d(golden.input_ids, undefined, "int32"),
      attentionMask: tf.tensor2d(golden.attention_mask, undefined, "int32"),
      labels: tf.tensor2d(golden.labels, undefined, "int32"),
      decoderInputIds: tf.tensor2d(golden.decoder_input_ids, undefined, "int32"),
    };
    adapterTensors = new Map([...readSafetensors(path.join(goldenFolder, "adapters.safetensors"))].map(([name, t]) => [name, tf.tensor(t.values, t.shape)]));
  });

  function peftFor(caseName: string): PeftParameters {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, tensor] of adapterTensors) {
      const isPrefix = name.endsWith(".prefix_k") || name.endsWith(".prefix_v");
      if ((isPrefix && caseName.includes("prefix")) || (!isPrefix && caseName.includes("lora"))) tensors[name] = tensor;
    }
    return { tensors, loraScale: 1 };
  }

  it("relative-position buckets match", () => {
    const table = golden.relative_position_bucket;
    const bidirectional = table.relative_positions.map((rel) => relativePositionBucket(rel, true, table.num_buckets, table.max_distance));
    const unidirectional = table.relative_positions.map((rel) => relativePositionBucket(rel, false, table.num_buckets, table.max_distance));
    expect(bidirectional).toEqual(table.bidirectional);
    expect(unidirectional).toEqual(table.unidirectional);
  });

  it("shift_right of labels gives decoder inputs", () => {
    const shifted = tf.tidy(() => model.forward({ ...batch, decoderInputIds: undefined }, {}).arraySync());
    const given = tf.tidy(() => model.forward(batch, {}).arraySync());
    expect(maxAbsDifference(shifted.flat(2), given.flat(2))).toBe(0);
  });

  it("encoder output matches, padded rows too", () => {
    const encoded = tf.tidy(() => model.encode(batch.inputIds, batch.attentionMask).arraySync());
    const expected = golden.cases.base.encoder_last_hidden_state!;
    expect(maxAbsDifference(encoded.flat(2), expected.flat(2))).toBeLessThanOrEqual(1e-4);
  });

  for (const caseName of ["base", "prefix", "lora", "prefix_lora"] as const) {
    it(`${caseName}: logits, loss and gradients`, () => {
      const expected = golden.cases[caseName];
      const peft = peftFor(caseName);
      const logits = tf.tidy(() => model.forward(batch, { peft }).arraySync());
      const flatExpected = expected.logits.flat(2);
      const flatLogits = logits.flat(2);
      expect(flatLogits).toHaveLength(3 * 18 * 320);
      expect(maxAbsDifference(flatLogits, flatExpected)).toBeLessThanOrEqual(1e-4);

      const names = Object.keys(expected.grads_of_loss);
      const { value, grads } = tf.tidy(() => {
        const adapterNames = names.filter((name) => name in peft.tensors);
        const parameterNames = names.filter((name) => !(name in peft.tensors));
        const lossOf = (...replacements: tf.Tensor[]): tf.Scalar => {
          const tensors = { ...peft.tensors };
          adapterNames.forEach((name, i) => (tensors[name] = replacements[i]!));
          return labelLoss(model.forward(batch, { peft: { tensors, loraScale: 1 } }), batch.labels!);
        };
        const byName = new Map<string, tf.Tensor>();
        let loss: number;
        if (adapterNames.length > 0) {
          const computed = tf.valueAndGrads(lossOf)(adapterNames.map((name) => peft.tensors[name]!));
          adapterNames.forEach((name, i) => byName.set(name, computed.grads[i]!));
          loss = computed.value.arraySync() as number;
        } else {
          const computed = tf.variableGrads(() => lossOf(), parameterNames.map((name) => model.parameter(name)));
          parameterNames.forEach((name) => byName.set(name, computed.grads[model.parameter(name).name]!));
          loss = computed.value.arraySync() as number;
        }
        return { value: loss, grads: names.map((name) => Array.from(byName.get(name)!.dataSync())) };
      });
      expect(Math.abs(value - expected.loss)).toBeLessThanOrEqual(1e-5);
      names.forEach((name, i) => {
        const expectedGradient = expected.grads_of_loss[name]!.flat();
        const scale = Math.max(...expectedGradient.map(Math.abs));
        expect(maxAbsDifference(grads[i]!, expectedGradient), name).toBeLessThanOrEqual(1e-3 * scale);
      });
    });
  }
});

