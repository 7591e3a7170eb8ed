/**
 * T5 v1.1 encoder-decoder with the math of Hugging Face's `T5ForConditionalGeneration`, parameters named as in
 * Hugging Face checkpoints, and optional per-example PEFT parameters (prefixes, LoRA) injected into attention.
 */
import * as tf from "@tensorflow/tfjs";
import { innerWidth, type T5Config } from "./config.js";
import {
  causalMask,
  geluNew,
  linear,
  loraLinear,
  mergeHeads,
  paddingMask,
  positionBias,
  prefixForBatch,
  rmsNorm,
  splitHeads,
  weightedCrossEntropy,
  withPrefixColumns,
} from "./layers.js";
import { childSeed, dropoutMask, normalValues, uniformGenerator } from "./random.js";
import type { TensorFile } from "./safetensors.js";
import { newVariable } from "./variables.js";

/**
 * PEFT parameters by tensor name: `<self-attention module>.prefix_k|prefix_v` of shape (P, inner) and
 * `<attention module>.{q,v}.lora_A.weight` (r, in) / `.lora_B.weight` (out, r). A leading batch axis gives every
 * batch row its own tensors.
 */
export interface PeftParameters {
  tensors: Record<string, tf.Tensor>;
  /** LoRA's `alpha / r` (1 when absent). */
  loraScale?: number;
}

/** A training or evaluation batch of int32 token ids (batch, length). */
export interface T5Batch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  /** Target ids, where -100 marks ignored positions. */
  labels?: tf.Tensor2D;
  /** Defaults to `shiftRight(labels)`. */
  decoderInputIds?: tf.Tensor2D;
}

export interface ForwardOptions {
  peft?: PeftParameters;
  /** Enables dropout. */
  training?: boolean;
}

export type AttentionKind = "SelfAttention" | "EncDecAttention";

/** Module name of an attention sub-layer, e.g. `decoder.block.1.layer.1.EncDecAttention`. */
export function attentionModule(stack: "encoder" | "decoder", block: number, kind: AttentionKind): string {
  return `${stack}.block.${block}.layer.${kind === "SelfAttention" ? 0 : 1}.${kind}`;
}

/** Every attention module LoRA targets (encoder self, decoder self and decoder cross attention), in order. */
export function loraModules(config: T5Config): string[] {
  const modules: string[] = [];
  for (let i = 0; i < config.num_layers; i++) modules.push(attentionModule("encoder", i, "SelfAttention"));
  for (let i = 0; i < config.num_decoder_layers; i++) modules.push(attentionModule("decoder", i, "SelfAttention"));
  for (let i = 0; i < config.num_decoder_layers; i++) modules.push(attentionModule("decoder", i, "EncDecAttention"));
  return modules;
}

/** Every self-attention module that takes a prefix, encoder blocks first. */
export function prefixModules(config: T5Config): string[] {
  const modules: string[] = [];
  for (let i = 0; i < config.num_layers; i++) modules.push(attentionModule("encoder", i, "SelfAttention"));
  for (let i = 0; i < config.num_decoder_layers; i++) modules.push(attentionModule("decoder", i, "SelfAttention"));
  return modules;
}

/** Name and shape of every parameter, in Hugging Face naming (without the redundant `*.embed_tokens.weight`). */
export function t5ParameterShapes(config: T5Config): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const inner = innerWidth(config);
  const { d_model: model, d_ff: ff } = config;
  shapes.set("shared.weight", [config.vocab_size, model]);
  const attention = (prefix: string, withBias: boolean): void => {
    for (const name of ["q", "k", "v"]) shapes.set(`${prefix}.${name}.weight`, [inner, model]);
    shapes.set(`${prefix}.o.weight`, [model, inner]);
    if (withBias) shapes.set(`${prefix}.relative_attention_bias.weight`, [config.relative_attention_num_buckets, config.num_heads]);
  };
  const feedForward = (prefix: string): void => {
    shapes.set(`${prefix}.DenseReluDense.wi_0.weight`, [ff, model]);
    shapes.set(`${prefix}.DenseReluDense.wi_1.weight`, [ff, model]);
    shapes.set(`${prefix}.DenseReluDense.wo.weight`, [model, ff]);
    shapes.set(`${prefix}.layer_norm.weight`, [model]);
  };
  for (let i = 0; i < config.num_layers; i++) {
    attention(attentionModule("encoder", i, "SelfAttention"), i === 0);
    shapes.set(`encoder.block.${i}.layer.0.layer_norm.weight`, [model]);
    feedForward(`encoder.block.${i}.layer.1`);
  }
  shapes.set("encoder.final_layer_norm.weight", [model]);
  for (let i = 0; i < config.num_decoder_layers; i++) {
    attention(attentionModule("decoder", i, "SelfAttention"), i === 0);
    shapes.set(`decoder.block.${i}.layer.0.layer_norm.weight`, [model]);
    attention(attentionModule("decoder", i, "EncDecAttention"), false);
    shapes.set(`decoder.block.${i}.layer.1.layer_norm.weight`, [model]);
    feedForward(`decoder.block.${i}.layer.2`);
  }
  shapes.set("decoder.final_layer_norm.weight", [model]);
  shapes.set("lm_head.weight", [config.vocab_size, model]);
  return shapes;
}

/** Standard deviation of Hugging Face's T5 initialization for a parameter (layer norms start at 1). */
function initStd(name: string, config: T5Config): number {
  if (name === "shared.weight" || name === "lm_head.weight") return 1;
  if (name.endsWith(".q.weight")) return (config.d_model * config.d_kv) ** -0.5;
  if (name.endsWith(".k.weight") || name.endsWith(".v.weight")) return config.d_model ** -0.5;
  if (name.endsWith(".o.weight")) return innerWidth(config) ** -0.5;
  if (name.endsWith("relative_attention_bias.weight")) return config.d_model ** -0.5;
  if (name.endsWith(".wo.weight")) return config.d_ff ** -0.5;
  return config.d_model ** -0.5;
}

/** Hugging Face's `shift_right`: prepend the decoder start id, drop the last label, replace -100 by the pad id. */
export function shiftRight(labels: tf.Tensor2D, config: T5Config): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch] = labels.shape;
    const start = tf.fill([batch, 1], config.decoder_start_token_id, "int32");
    const shifted = tf.concat([start, tf.slice(labels, [0, 0], [batch, labels.shape[1] - 1])], 1);
    return tf.where(tf.equal(shifted, -100), tf.fill(shifted.shape as [number, number], config.pad_token_id, "int32"), shifted) as tf.Tensor2D;
  });
}

interface StackOptions extends ForwardOptions {
  /** Decoder only: false removes the causal mask (the hypermodel's decoder). */
  causal?: boolean;
}

export class T5Model {
  readonly config: T5Config;
  /** Parameters by Hugging Face name. */
  readonly params: Map<string, tf.Variable>;
  private dropoutCalls = 0;
  private dropoutSeed: number;

  constructor(config: T5Config, params: Map<string, tf.Variable>, dropoutSeed = 0) {
    this.config = config;
    this.params = params;
    this.dropoutSeed = dropoutSeed;
  }

  /** A model with Hugging Face's T5 initialization, drawn from `seed` (the same on every backend). */
  static create(config: T5Config, seed: number): T5Model {
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of t5ParameterShapes(config)) {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = name.endsWith("layer_norm.weight")
        ? new Float32Array(count).fill(1)
        : normalValues(uniformGenerator(childSeed(seed, name)), count, initStd(name, config));
      params.set(name, newVariable(tf.tensor(values, shape), name));
    }
    return new T5Model(config, params, seed);
  }

  /**
   * A model from named float32 arrays (e.g. a safetensors file named `source` in errors). Hugging Face's
   * duplicated `encoder.embed_tokens.weight` / `decoder.embed_tokens.weight` are ignored, and a missing, extra or
   * misshaped tensor is an error.
   */
  static fromTensors(config: T5Config, tensors: TensorFile, source: string, seed = 0): T5Model {
    const expected = t5ParameterShapes(config);
    const params = new Map<string, tf.Variable>();
    for (const name of tensors.keys()) {
      if (!expected.has(name) && name !== "encoder.embed_tokens.weight" && name !== "decoder.embed_tokens.weight") {
        throw new Error(`${source}: unexpected tensor "${name}" (not a parameter of T5 v1.1 with this config).`);
      }
    }
    for (const [name, shape] of expected) {
      const tensor = tensors.get(name);
      if (tensor === undefined) throw new Error(`${source}: tensor "${name}" is missing.`);
      if (tensor.shape.length !== shape.length || tensor.shape.some((size, i) => size !== shape[i])) {
        throw new Error(`${source}: tensor "${name}" has shape [${tensor.shape}], expected [${shape}].`);
      }
    }
    for (const [name, shape] of expected) {
      params.set(name, newVariable(tf.tensor(tensors.get(name)!.values, shape), name));
    }
    return new T5Model(config, params, seed);
  }

  /** Every parameter as named float32 arrays (for saving). */
  async toTensors(): Promise<TensorFile> {
    const out: TensorFile = new Map();
    for (const [name, variable] of this.params) out.set(name, { shape: variable.shape, values: (await variable.data()) as Float32Array });
    return out;
  }

  /** An independent copy (new variables with the same values). */
  clone(seed = this.dropoutSeed): T5Model {
    const params = new Map<string, tf.Variable>();
    for (const [name, variable] of this.params) params.set(name, newVariable(variable.clone() as tf.Tensor, name));
    return new T5Model(this.config, params, seed);
  }

  dispose(): void {
    for (const variable of this.params.values()) variable.dispose();
  }

  /**
   * Restarts the dropout masks from `seed`. Calling it with the step number before every training step makes a
   * resumed run draw the same masks as an uninterrupted one.
   */
  reseedDropout(seed: number): void {
    this.dropoutSeed = seed;
    this.dropoutCalls = 0;
  }

  parameter(name: string): tf.Variable {
    const variable = this.params.get(name);
    if (variable === undefined) throw new Error(`T5 parameter "${name}" does not exist.`);
    return variable;
  }

  private dropout(x: tf.Tensor, options: ForwardOptions): tf.Tensor {
    if (!options.training || this.config.dropout_rate === 0) return x;
    this.dropoutCalls += 1;
    const mask = dropoutMask(childSeed(this.dropoutSeed, String(this.dropoutCalls)), x.size, this.config.dropout_rate);
    return tf.mul(x, tf.tensor(mask, x.shape));
  }

  /** Token embeddings (no scaling, no absolute positions). */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.parameter("shared.weight"), ids) as tf.Tensor3D;
  }

  private attention(
    module: string,
    query: tf.Tensor,
    source: tf.Tensor,
    bias: tf.Tensor,
    options: ForwardOptions,
  ): tf.Tensor {
    const peft = options.peft?.tensors ?? {};
    const scale = options.peft?.loraScale ?? 1;
    const batch = query.shape[0] as number;
    const q = loraLinear(query, this.parameter(`${module}.q.weight`), peft[`${module}.q.lora_A.weight`], peft[`${module}.q.lora_B.weight`], scale);
    let k = linear(source, this.parameter(`${module}.k.weight`));
    let v = loraLinear(source, this.parameter(`${module}.v.weight`), peft[`${module}.v.lora_A.weight`], peft[`${module}.v.lora_B.weight`], scale);
    const prefixKey = peft[`${module}.prefix_k`];
    const prefixValue = peft[`${module}.prefix_v`];
    if (prefixKey !== undefined && prefixValue !== undefined) {
      k = tf.concat([prefixForBatch(prefixKey, batch), k], 1);
      v = tf.concat([prefixForBatch(prefixValue, batch), v], 1);
    }
    const heads = this.config.num_heads;
    // No 1/sqrt(d_kv) scaling in T5.
    const scores = tf.add(tf.matMul(splitHeads(q, heads), splitHeads(k, heads), false, true), bias);
    const weights = this.dropout(tf.softmax(scores), options);
    const context = mergeHeads(tf.matMul(weights, splitHeads(v, heads)));
    return linear(context, this.parameter(`${module}.o.weight`));
  }

  private feedForward(prefix: string, x: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const gate = geluNew(linear(x, this.parameter(`${prefix}.DenseReluDense.wi_0.weight`)));
    const hidden = this.dropout(tf.mul(gate, linear(x, this.parameter(`${prefix}.DenseReluDense.wi_1.weight`))), options);
    return linear(hidden, this.parameter(`${prefix}.DenseReluDense.wo.weight`));
  }

  private norm(name: string, x: tf.Tensor): tf.Tensor {
    return rmsNorm(x, this.parameter(name), this.config.layer_norm_epsilon);
  }

  private prefixLength(module: string, options: ForwardOptions): number {
    const prefix = options.peft?.tensors[`${module}.prefix_k`];
    return prefix === undefined ? 0 : (prefix.shape[prefix.rank - 2] as number);
  }

  /** Encoder hidden states (batch, length, d_model) after the final layer norm. */
  encode(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return this.encodeEmbeddings(this.embed(inputIds), attentionMask, options);
  }

  /** The encoder run on given input embeddings. */
  encodeEmbeddings(embeddings: tf.Tensor3D, attentionMask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    const { config } = this;
    const length = embeddings.shape[1];
    let h: tf.Tensor = this.dropout(embeddings, options);
    const bias = tf.add(
      positionBias(this.parameter("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"), length, length, true, config.relative_attention_max_distance),
      paddingMask(attentionMask),
    );
    const prefixLength = this.prefixLength(attentionModule("encoder", 0, "SelfAttention"), options);
    const selfBias = withPrefixColumns(bias, prefixLength);
    for (let i = 0; i < config.num_layers; i++) {
      const module = attentionModule("encoder", i, "SelfAttention");
      const normed = this.norm(`encoder.block.${i}.layer.0.layer_norm.weight`, h);
      h = tf.add(h, this.dropout(this.attention(module, normed, normed, selfBias, options), options));
      const ffIn = this.norm(`encoder.block.${i}.layer.1.layer_norm.weight`, h);
      h = tf.add(h, this.dropout(this.feedForward(`encoder.block.${i}.layer.1`, ffIn, options), options));
    }
    return this.dropout(this.norm("encoder.final_layer_norm.weight", h), options) as tf.Tensor3D;
  }

  /** Decoder hidden states (batch, length, d_model) after the final layer norm, from input embeddings. */
  decodeEmbeddings(
    embeddings: tf.Tensor3D,
    encoderStates: tf.Tensor3D,
    encoderMask: tf.Tensor2D,
    options: StackOptions = {},
  ): tf.Tensor3D {
    const { config } = this;
    const length = embeddings.shape[1];
    let h: tf.Tensor = this.dropout(embeddings, options);
    let bias = positionBias(this.parameter("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"), length, length, false, config.relative_attention_max_distance);
    if (options.causal !== false) bias = tf.add(bias, causalMask(length));
    const prefixLength = this.prefixLength(attentionModule("decoder", 0, "SelfAttention"), options);
    const selfBias = withPrefixColumns(bias, prefixLength);
    const crossBias = paddingMask(encoderMask);
    for (let i = 0; i < config.num_decoder_layers; i++) {
      const normed = this.norm(`decoder.block.${i}.layer.0.layer_norm.weight`, h);
      h = tf.add(h, this.dropout(this.attention(attentionModule("decoder", i, "SelfAttention"), normed, normed, selfBias, options), options));
      const crossIn = this.norm(`decoder.block.${i}.layer.1.layer_norm.weight`, h);
      h = tf.add(h, this.dropout(this.attention(attentionModule("decoder", i, "EncDecAttention"), crossIn, encoderStates, crossBias, options), options));
      const ffIn = this.norm(`decoder.block.${i}.layer.2.layer_norm.weight`, h);
      h = tf.add(h, this.dropout(this.feedForward(`decoder.block.${i}.layer.2`, ffIn, options), options));
    }
    return this.dropout(this.norm("decoder.final_layer_norm.weight", h), options) as tf.Tensor3D;
  }

  /** Logits (batch, target length, vocab) of the decoder given encoder states. */
  decode(encoderStates: tf.Tensor3D, encoderMask: tf.Tensor2D, decoderInputIds: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    const hidden = this.decodeEmbeddings(this.embed(decoderInputIds), encoderStates, encoderMask, options);
    // Untied lm_head and no d_model^-0.5 rescale (T5 v1.1).
    return linear(hidden, this.parameter("lm_head.weight")) as tf.Tensor3D;
  }

  /** Computes logits (batch, target length, vocab). Call it inside tf.tidy. */
  forward(batch: T5Batch, options: ForwardOptions = {}): tf.Tensor3D {
    const decoderInputIds = batch.decoderInputIds ?? (batch.labels !== undefined ? shiftRight(batch.labels, this.config) : undefined);
    if (decoderInputIds === undefined) throw new Error("A T5 batch needs labels or decoderInputIds.");
    const encoderStates = this.encode(batch.inputIds, batch.attentionMask, options);
    return this.decode(encoderStates, batch.attentionMask, decoderInputIds, options);
  }

  /** Computes the mean cross-entropy over label positions that are not -100. Call it inside tf.tidy or a gradient function. */
  loss(batch: T5Batch, options: ForwardOptions = {}): tf.Scalar {
    if (batch.labels === undefined) throw new Error("T5Model.loss needs labels.");
    return labelLoss(this.forward(batch, options), batch.labels);
  }
}

/** Mean cross-entropy of logits (batch, length, vocab) over labels that are not -100. */
export function labelLoss(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  const [batch, length, vocab] = logits.shape;
  const flatLabels = tf.reshape(labels, [batch * length]) as tf.Tensor1D;
  const kept = tf.cast(tf.notEqual(flatLabels, -100), "float32") as tf.Tensor1D;
  const targets = tf.mul(flatLabels, tf.cast(kept, "int32")) as tf.Tensor1D;
  const total = weightedCrossEntropy(tf.reshape(logits, [batch * length, vocab]) as tf.Tensor2D, targets, kept);
  return tf.div(total, tf.maximum(tf.sum(kept), 1)) as tf.Scalar;
}
