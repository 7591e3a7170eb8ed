/**
 * Parameter-generation heads (LayerNorm, Linear, tanh, Linear) shared by HyperT5 and the Prefix-MLP
 * reparameterization (HyperTuning, Phang et al. 2022, appendix C figures 8-9 and appendix E).
 */
import * as tf from "@tensorflow/tfjs";
import { innerWidth, type T5Config } from "./config.js";
import { linearWithBias } from "./layers.js";
import { childSeed, uniformGenerator, uniformValues } from "./random.js";
import { newVariable } from "./variables.js";
import { attentionModule, type PeftParameters } from "./t5.js";

/** The four tensors of one head, named `<head>.layer_norm.{weight,bias}`, `<head>.dense_in.*`, `<head>.dense_out.*`. */
export function headShapes(head: string, model: number, out: number): Map<string, number[]> {
  return new Map([
    [`${head}.layer_norm.weight`, [model]],
    [`${head}.layer_norm.bias`, [model]],
    [`${head}.dense_in.weight`, [model, model]],
    [`${head}.dense_in.bias`, [model]],
    [`${head}.dense_out.weight`, [out, model]],
    [`${head}.dense_out.bias`, [out]],
  ]);
}

/** Creates head variables with PyTorch's defaults (LayerNorm 1/0, Linear U(±1/√in)). */
export function initHeads(shapes: Map<string, number[]>, seed: number): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  for (const [name, shape] of shapes) {
    const count = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (name.endsWith("layer_norm.weight")) values = new Float32Array(count).fill(1);
    else if (name.endsWith("layer_norm.bias")) values = new Float32Array(count);
    else {
      const inFeatures = name.endsWith(".bias") ? (shapes.get(name.replace(/\.bias$/, ".weight"))![1] as number) : (shape[1] as number);
      values = uniformValues(uniformGenerator(childSeed(seed, name)), count, 1 / Math.sqrt(inFeatures));
    }
    variables.set(name, newVariable(tf.tensor(values, shape), name));
  }
  return variables;
}

/** Applies head `head` to representations (..., d_model): LayerNorm (eps 1e-5, with mean and bias), Linear, tanh, Linear. */
export function applyHead(variables: Map<string, tf.Variable>, head: string, x: tf.Tensor): tf.Tensor {
  const get = (name: string): tf.Variable => {
    const variable = variables.get(`${head}.${name}`);
    if (variable === undefined) throw new Error(`Head parameter "${head}.${name}" does not exist.`);
    return variable;
  };
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const normed = tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), get("layer_norm.weight")), get("layer_norm.bias"));
  // tanh(u) = 2·sigmoid(2u) - 1, written with Sigmoid because wasm's Tanh kernel is far slower.
  const hidden = tf.sub(tf.mul(tf.sigmoid(tf.mul(linearWithBias(normed, get("dense_in.weight"), get("dense_in.bias")), 2)), 2), 1);
  return linearWithBias(hidden, get("dense_out.weight"), get("dense_out.bias"));
}

/** Names of the four prefix heads: encoder keys, encoder values, decoder keys, decoder values. */
export const prefixHeadNames = ["prefix_heads.encoder_key", "prefix_heads.encoder_value", "prefix_heads.decoder_key", "prefix_heads.decoder_value"] as const;

/** Shapes of the prefix heads for a downstream config. */
export function prefixHeadShapes(config: T5Config): Map<string, number[]> {
  const inner = innerWidth(config);
  const shapes = new Map<string, number[]>();
  for (const head of prefixHeadNames) {
    const layers = head.includes("encoder") ? config.num_layers : config.num_decoder_layers;
    for (const [name, shape] of headShapes(head, config.d_model, layers * inner)) shapes.set(name, shape);
  }
  return shapes;
}

/**
 * Prefixes from representations (batch, 2P, d_model): the first P rows feed the encoder heads, the last P the
 * decoder heads. Each head's (batch, P, L·inner) output is split per layer into (batch, P, inner).
 */
export function prefixesFromRepresentations(variables: Map<string, tf.Variable>, config: T5Config, representations: tf.Tensor3D): Record<string, tf.Tensor> {
  const [batch, tokens] = representations.shape;
  const length = tokens / 2;
  const inner = innerWidth(config);
  const out: Record<string, tf.Tensor> = {};
  const halves = { encoder: tf.slice(representations, [0, 0, 0], [batch, length, -1]), decoder: tf.slice(representations, [0, length, 0], [batch, length, -1]) };
  for (const stack of ["encoder", "decoder"] as const) {
    const layers = stack === "encoder" ? config.num_layers : config.num_decoder_layers;
    for (const [kind, suffix] of [["key", "prefix_k"], ["value", "prefix_v"]] as const) {
      const generated = tf.reshape(applyHead(variables, `prefix_heads.${stack}_${kind}`, halves[stack]), [batch, length, layers, inner]);
      const perLayer = tf.unstack(generated, 2);
      perLayer.forEach((tensor, layer) => {
        out[`${attentionModule(stack, layer, "SelfAttention")}.${suffix}`] = tensor;
      });
    }
  }
  return out;
}

/** LoRA heads, one per (attention group, q or v). The groups are encoder self, decoder self and decoder cross attention. */
export const loraGroups = [
  { name: "encoder_self", stack: "encoder", kind: "SelfAttention" },
  { name: "decoder_self", stack: "decoder", kind: "SelfAttention" },
  { name: "decoder_cross", stack: "decoder", kind: "EncDecAttention" },
] as const;

export function loraHeadShapes(config: T5Config, rank: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const inner = innerWidth(config);
  for (const group of loraGroups) {
    for (const projection of ["q", "v"]) {
      const head = `lora_heads.${group.name}_${projection}`;
      for (const [name, shape] of headShapes(head, config.d_model, rank * (inner + config.d_model))) shapes.set(name, shape);
      const layers = group.stack === "encoder" ? config.num_layers : config.num_decoder_layers;
      shapes.set(`${head}.gate`, [layers]);
    }
  }
  return shapes;
}

/** Number of hypermodel decoder tokens for LoRA: one per attention module LoRA targets. */
export function loraTokenCount(config: T5Config): number {
  return config.num_layers + 2 * config.num_decoder_layers;
}

/**
 * LoRA tensors from representations (batch, L_enc + 2 L_dec, d_model), one row per targeted module. Each head
 * gives r·(inner + d_model) numbers per row: the up map B (out, r) and the down map A (r, in). B is scaled by the
 * head's learned per-layer gate tanh(g_l).
 * NOTE: the gate multiplies B only, so the weight delta is linear in it. HyperTuning's figure 9 does not say
 * which of the two maps it scales.
 */
export function loraFromRepresentations(variables: Map<string, tf.Variable>, config: T5Config, rank: number, representations: tf.Tensor3D): Record<string, tf.Tensor> {
  const [batch] = representations.shape;
  const inner = innerWidth(config);
  const model = config.d_model;
  const out: Record<string, tf.Tensor> = {};
  let start = 0;
  for (const group of loraGroups) {
    const layers = group.stack === "encoder" ? config.num_layers : config.num_decoder_layers;
    const rows = tf.slice(representations, [0, start, 0], [batch, layers, -1]);
    start += layers;
    for (const projection of ["q", "v"] as const) {
      const head = `lora_heads.${group.name}_${projection}`;
      const generated = applyHead(variables, head, rows);
      const up = tf.reshape(tf.slice(generated, [0, 0, 0], [batch, layers, rank * inner]), [batch, layers, rank, inner]);
      const down = tf.reshape(tf.slice(generated, [0, 0, rank * inner], [batch, layers, rank * model]), [batch, layers, rank, model]);
      const gate = tf.reshape(tf.tanh(variables.get(`${head}.gate`)!), [1, layers, 1, 1]);
      const gatedUp = tf.transpose(tf.mul(up, gate), [0, 1, 3, 2]);
      const ups = tf.unstack(gatedUp, 1);
      const downs = tf.unstack(down, 1);
      for (let layer = 0; layer < layers; layer++) {
        const module = attentionModule(group.stack, layer, group.kind);
        out[`${module}.${projection}.lora_A.weight`] = downs[layer]!;
        out[`${module}.${projection}.lora_B.weight`] = ups[layer]!;
      }
    }
  }
  return out;
}

/** Drops the leading batch axis of single-row PEFT tensors, giving tensors shared by every row. */
export function squeezeBatch(parameters: PeftParameters): PeftParameters {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, tensor] of Object.entries(parameters.tensors)) {
    if (tensor.rank !== 3 || tensor.shape[0] !== 1) throw new Error(`PEFT tensor "${name}" of shape [${tensor.shape}] is not a single row.`);
    tensors[name] = tf.squeeze(tensor, [0]);
  }
  return { tensors, loraScale: parameters.loraScale ?? 1 };
}
