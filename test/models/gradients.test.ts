import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HyperT5,
  hyperTrainingVariables,
  initBackend,
  Lora,
  PrefixFlat,
  PrefixMlp,
  T5Model,
  Trainer,
  type PeftParameters,
  type T5Batch,
} from "../../src/models/index.js";
import { disposeBatch, tinyBatch, tinyConfig } from "./helpers.js";

const config = tinyConfig();
let model: T5Model;
let batch: T5Batch;
let fewShot: { ids: tf.Tensor2D; mask: tf.Tensor2D };

beforeAll(async () => {
  await initBackend(undefined, () => {});
  model = T5Model.create(config, 7);
  batch = tinyBatch(config);
  fewShot = {
    ids: tf.tensor2d([[2, 3, 4, 5, 1, 0], [6, 7, 8, 1, 0, 0], [9, 10, 11, 12, 13, 1]], undefined, "int32"),
    mask: tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], undefined, "int32"),
  };
});

afterAll(() => {
  model.dispose();
  disposeBatch(batch);
});

/** Names of the variables whose gradient of `loss` is missing or all zero. */
function zeroGradients(variables: Map<string, tf.Variable>, loss: () => tf.Scalar): string[] {
  return tf.tidy(() => {
    const list = [...variables.values()];
    const { grads } = tf.variableGrads(loss, list);
    const zero: string[] = [];
    for (const [name, variable] of variables) {
      const gradient = grads[variable.name];
      if (gradient === undefined || (tf.max(tf.abs(gradient)).dataSync()[0] as number) === 0) zero.push(name);
    }
    return zero;
  });
}

/** Takes one Adam step so that zero-initialized factors (LoRA's B, HyperT5-LoRA's gates) become non-zero. */
function oneStep(variables: Map<string, tf.Variable>, loss: () => tf.Scalar): void {
  const trainer = new Trainer(variables, { learningRate: 0.05, totalSteps: 10 });
  trainer.trainStep([loss]);
  trainer.dispose();
}

function withPeft(peft: () => PeftParameters): () => tf.Scalar {
  return () => model.loss(batch, { peft: peft() });
}

describe("gradient coverage", () => {
  it("T5: every parameter", () => {
    expect(zeroGradients(model.params, () => model.loss(batch))).toEqual([]);
  });

  it("Prefix-Flat: every prefix", () => {
    const module = PrefixFlat.random(config, 2, 1);
    expect(zeroGradients(module.variables, withPeft(() => module.parameters()))).toEqual([]);
    module.dispose();
  });

  it("Prefix-MLP: embeddings and heads", () => {
    const module = PrefixMlp.random(config, 2, 1);
    expect(zeroGradients(module.variables, withPeft(() => module.parameters()))).toEqual([]);
    module.dispose();
  });

  it("LoRA: B at start, then A and B", () => {
    const module = Lora.random(config, 2, 1);
    const loss = withPeft(() => module.parameters());
    const zeroAtStart = zeroGradients(module.variables, loss);
    // With B = 0 the gradient of A is zero, and every B gets a gradient.
    expect(zeroAtStart.every((name) => name.includes("lora_A"))).toBe(true);
    oneStep(module.variables, loss);
    expect(zeroGradients(module.variables, loss)).toEqual([]);
    module.dispose();
  });

  for (const kind of ["prefix", "lora"] as const) {
    it(`HyperT5-${kind}: hypermodel, and downstream for the + variant`, () => {
      const hyper = HyperT5.fromDownstream(model, { kind, prefixLength: 2, loraRank: 2, seed: 3 });
      const loss = (): tf.Scalar => model.loss(batch, { peft: hyper.generate(fewShot.ids, fewShot.mask) });
      if (kind === "lora") oneStep(hyper.variables, loss);
      expect(zeroGradients(hyper.variables, loss)).toEqual([]);
      const plus = hyperTrainingVariables(hyper, model, true);
      expect(plus.size).toBe(hyper.variables.size + model.params.size);
      expect(zeroGradients(plus, loss)).toEqual([]);
      hyper.dispose();
    });
  }
});

/**
 * Compares the gradient of `loss` with respect to `variable` against central differences at a few coordinates
 * (float32, so the step is large and the tolerance loose).
 */
function checkFiniteDifferences(variable: tf.Variable, loss: () => tf.Scalar, coordinates = 4): void {
  const analytic = tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, [variable]);
    return Array.from(grads[variable.name]!.dataSync());
  });
  const original = Float32Array.from(variable.dataSync());
  const size = original.length;
  const step = 1e-2;
  const lossAt = (values: Float32Array): number => {
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    return tf.tidy(() => loss().dataSync()[0] as number);
  };
  const magnitude = Math.max(...analytic.map(Math.abs));
  for (let c = 0; c < coordinates; c++) {
    const index = Math.floor(((c + 0.5) * size) / coordinates);
    const plus = original.slice();
    plus[index]! += step;
    const minus = original.slice();
    minus[index]! -= step;
    const numeric = (lossAt(plus) - lossAt(minus)) / (2 * step);
    expect(Math.abs(numeric - analytic[index]!), `${variable.name}[${index}]: numeric ${numeric}, analytic ${analytic[index]}`).toBeLessThanOrEqual(
      2e-3 + 0.03 * Math.max(Math.abs(numeric), 0.05 * magnitude),
    );
  }
  tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
}

describe("finite differences", () => {
  it("prefix gradients", () => {
    const module = PrefixFlat.random(config, 2, 5);
    const loss = withPeft(() => module.parameters());
    for (const name of ["encoder.block.1.layer.0.SelfAttention.prefix_k", "decoder.block.0.layer.0.SelfAttention.prefix_v"]) {
      checkFiniteDifferences(module.variables.get(name)!, loss);
    }
    module.dispose();
  });

  it("LoRA gradients", () => {
    const module = Lora.random(config, 2, 5);
    const loss = withPeft(() => module.parameters());
    oneStep(module.variables, loss);
    for (const name of ["encoder.block.0.layer.0.SelfAttention.q.lora_A.weight", "decoder.block.1.layer.1.EncDecAttention.v.lora_B.weight"]) {
      checkFiniteDifferences(module.variables.get(name)!, loss);
    }
    module.dispose();
  });

  it("hypermodel head gradients", () => {
    for (const kind of ["prefix", "lora"] as const) {
      const hyper = HyperT5.fromDownstream(model, { kind, prefixLength: 2, loraRank: 2, seed: 9 });
      const loss = (): tf.Scalar => model.loss(batch, { peft: hyper.generate(fewShot.ids, fewShot.mask) });
      if (kind === "lora") oneStep(hyper.variables, loss);
      const names = [...hyper.extra.keys()].filter((name) => name.endsWith("dense_out.weight") || name.endsWith("dense_in.bias") || name.endsWith(".gate"));
      for (const name of names.slice(0, 4)) checkFiniteDifferences(hyper.extra.get(name)!, loss, 3);
      hyper.dispose();
    }
  });
});
