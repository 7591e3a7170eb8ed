/**
 * HyperT5 (HyperTuning, Phang et al. 2022, section 4 and appendix C): an encoder-decoder initialized from the
 * downstream T5. The encoder reads few-shot examples. The decoder, without its causal mask, reads a fixed set of
 * learned input embeddings (2P for prefixes, one per targeted attention module for LoRA) and attends to the
 * encoder, and heads turn its outputs into PEFT parameters for every example of the batch.
 */
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { configToHuggingFace, parseT5Config, type T5Config } from "./config.js";
import {
  initHeads,
  loraFromRepresentations,
  loraHeadShapes,
  loraTokenCount,
  prefixesFromRepresentations,
  prefixHeadShapes,
  squeezeBatch,
} from "./heads.js";
import { childSeed, normalValues, uniformGenerator } from "./random.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { T5Model, t5ParameterShapes, type PeftParameters } from "./t5.js";
import { checkTensorNames, newVariable, tensorsToFile } from "./variables.js";

export type HyperKind = "prefix" | "lora";

export interface HyperT5Options {
  kind: HyperKind;
  /** Prefix length P (kind "prefix"). */
  prefixLength?: number;
  /** LoRA rank r (kind "lora"). */
  loraRank?: number;
  seed: number;
}

/** Settings saved beside the weights in `hypermodel.json`. */
interface HyperSettings {
  kind: HyperKind;
  prefix_length?: number;
  lora_rank?: number;
}

const bodyPrefix = "hypermodel.";

export class HyperT5 {
  private constructor(
    readonly kind: HyperKind,
    /** Encoder-decoder body (no lm_head). */
    readonly body: T5Model,
    /** Heads, decoder input embeddings and LoRA gates by name. */
    readonly extra: Map<string, tf.Variable>,
    readonly prefixLength: number,
    readonly loraRank: number,
  ) {}

  get config(): T5Config {
    return this.body.config;
  }

  /** Number of learned decoder input embeddings: 2P for prefixes, L_enc + 2 L_dec for LoRA. */
  get tokenCount(): number {
    return this.kind === "prefix" ? 2 * this.prefixLength : loraTokenCount(this.config);
  }

  /** Creates a hypermodel whose body copies the downstream model, with new heads and decoder embeddings. */
  static fromDownstream(downstream: T5Model, options: HyperT5Options): HyperT5 {
    const body = downstream.clone(childSeed(options.seed, "hypermodel dropout"));
    body.params.get("lm_head.weight")?.dispose();
    body.params.delete("lm_head.weight");
    const config = downstream.config;
    const prefixLength = options.prefixLength ?? 0;
    const loraRank = options.loraRank ?? 0;
    if (options.kind === "prefix" && prefixLength < 1) throw new Error("HyperT5-Prefix needs prefixLength >= 1.");
    if (options.kind === "lora" && loraRank < 1) throw new Error("HyperT5-LoRA needs loraRank >= 1.");
    const headShapes = options.kind === "prefix" ? prefixHeadShapes(config) : loraHeadShapes(config, loraRank);
    const gates = [...headShapes].filter(([name]) => name.endsWith(".gate"));
    const extra = initHeads(new Map([...headShapes].filter(([name]) => !name.endsWith(".gate"))), options.seed);
    // Gates start at tanh(0) = 0, so like LoRA with B = 0 the downstream model starts unchanged.
    for (const [name, shape] of gates) extra.set(name, newVariable(tf.zeros(shape), name));
    const tokens = options.kind === "prefix" ? 2 * prefixLength : loraTokenCount(config);
    // Embeddings drawn like T5's token embeddings, so the decoder sees inputs of the scale it was trained on.
    const embeddings = normalValues(uniformGenerator(childSeed(options.seed, "decoder_input_embeddings")), tokens * config.d_model, 1);
    extra.set("decoder_input_embeddings", newVariable(tf.tensor(embeddings, [tokens, config.d_model]), "decoder_input_embeddings"));
    return new HyperT5(options.kind, body, extra, prefixLength, loraRank);
  }

  /** Every trainable variable, body names prefixed with `hypermodel.`. */
  get variables(): Map<string, tf.Variable> {
    const all = new Map<string, tf.Variable>();
    for (const [name, variable] of this.body.params) all.set(bodyPrefix + name, variable);
    for (const [name, variable] of this.extra) all.set(name, variable);
    return all;
  }

  /** Decoder outputs (batch, tokens, d_model) for few-shot token ids (batch, length). */
  representations(fewShotIds: tf.Tensor2D, fewShotMask: tf.Tensor2D, training = false): tf.Tensor3D {
    const encoded = this.body.encode(fewShotIds, fewShotMask, { training });
    const batch = fewShotIds.shape[0];
    const embeddings = this.extra.get("decoder_input_embeddings")!;
    const inputs = tf.broadcastTo(tf.expandDims(embeddings, 0), [batch, embeddings.shape[0] as number, embeddings.shape[1] as number]) as tf.Tensor3D;
    return this.body.decodeEmbeddings(inputs, encoded, fewShotMask, { training, causal: false });
  }

  /**
   * PEFT parameters for each row of few-shot ids: prefixes (batch, P, inner) per self-attention module, or LoRA
   * A (batch, r, d_model) and B (batch, inner, r) per targeted module. Call inside tf.tidy or a gradient function.
   */
  generate(fewShotIds: tf.Tensor2D, fewShotMask: tf.Tensor2D, options: { training?: boolean } = {}): PeftParameters {
    const representations = this.representations(fewShotIds, fewShotMask, options.training ?? false);
    if (this.kind === "prefix") return { tensors: prefixesFromRepresentations(this.extra, this.config, representations) };
    return { tensors: loraFromRepresentations(this.extra, this.config, this.loraRank, representations), loraScale: 1 };
  }

  /** PEFT parameters for one set of few-shot examples, without a batch axis (what `adapt` saves). */
  generateOne(fewShotIds: number[], options: { training?: boolean } = {}): PeftParameters {
    const ids = tf.tensor2d([fewShotIds], undefined, "int32");
    const mask = tf.onesLike(ids) as tf.Tensor2D;
    return squeezeBatch(this.generate(ids, mask, options));
  }

  /**
   * The head tensors and the decoder outputs for one task, the starting point of Prefix-MLP (Hyper): the
   * decoder outputs become Prefix-MLP's `prefix_embeddings` and the heads its MLP (HyperTuning appendix E).
   */
  prefixMlpInitialization(fewShotIds: number[]): Map<string, tf.Tensor> {
    if (this.kind !== "prefix") throw new Error("Prefix-MLP initialization needs a HyperT5-Prefix hypermodel.");
    const out = new Map<string, tf.Tensor>();
    const ids = tf.tensor2d([fewShotIds], undefined, "int32");
    out.set("prefix_embeddings", tf.tidy(() => tf.squeeze(this.representations(ids, tf.onesLike(ids) as tf.Tensor2D), [0])));
    ids.dispose();
    for (const [name, variable] of this.extra) if (name.startsWith("prefix_heads.")) out.set(name, variable.clone());
    return out;
  }

  /** Saves config.json (the body's T5 config), hypermodel.json and model.safetensors. */
  async save(folder: string): Promise<void> {
    fs.mkdirSync(folder, { recursive: true });
    writeSafetensors(path.join(folder, "model.safetensors"), await tensorsToFile(this.variables), { hypermodel: this.kind });
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configToHuggingFace(this.config), null, 2) + "\n");
    const settings: HyperSettings = { kind: this.kind };
    if (this.kind === "prefix") settings.prefix_length = this.prefixLength;
    else settings.lora_rank = this.loraRank;
    fs.writeFileSync(path.join(folder, "hypermodel.json"), JSON.stringify(settings, null, 2) + "\n");
  }

  /** Loads a folder written by `save`. A missing, extra or misshaped tensor raises an error naming it. */
  static load(folder: string, seed = 0): HyperT5 {
    const configFile = path.join(folder, "config.json");
    const settingsFile = path.join(folder, "hypermodel.json");
    const config = parseT5Config(JSON.parse(fs.readFileSync(configFile, "utf8")), configFile);
    const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8")) as HyperSettings;
    if (settings.kind !== "prefix" && settings.kind !== "lora") throw new Error(`${settingsFile}: field "kind" must be "prefix" or "lora".`);
    const prefixLength = settings.prefix_length ?? 0;
    const loraRank = settings.lora_rank ?? 0;
    const weightsFile = path.join(folder, "model.safetensors");
    const tensors = readSafetensors(weightsFile);
    const expected = new Map<string, number[]>();
    for (const [name, shape] of t5ParameterShapes(config)) if (name !== "lm_head.weight") expected.set(bodyPrefix + name, shape);
    const heads = settings.kind === "prefix" ? prefixHeadShapes(config) : loraHeadShapes(config, loraRank);
    for (const [name, shape] of heads) expected.set(name, shape);
    const tokens = settings.kind === "prefix" ? 2 * prefixLength : loraTokenCount(config);
    expected.set("decoder_input_embeddings", [tokens, config.d_model]);
    checkTensorNames(tensors, expected, weightsFile);
    const bodyParams = new Map<string, tf.Variable>();
    const extra = new Map<string, tf.Variable>();
    for (const [name, tensor] of tensors) {
      const variable = newVariable(tf.tensor(tensor.values, tensor.shape), name);
      if (name.startsWith(bodyPrefix)) bodyParams.set(name.slice(bodyPrefix.length), variable);
      else extra.set(name, variable);
    }
    return new HyperT5(settings.kind, new T5Model(config, bodyParams, seed), extra, prefixLength, loraRank);
  }

  dispose(): void {
    this.body.dispose();
    for (const variable of this.extra.values()) variable.dispose();
  }
}

/**
 * Returns the variables a hypermodel training step updates: the hypermodel's alone (HyperT5-Prefix, HyperT5-LoRA,
 * downstream frozen), or with the downstream model's under `downstream.` names for the "+" variants.
 */
export function hyperTrainingVariables(hyper: HyperT5, downstream: T5Model, trainDownstream: boolean): Map<string, tf.Variable> {
  const variables = hyper.variables;
  if (trainDownstream) for (const [name, variable] of downstream.params) variables.set(`downstream.${name}`, variable);
  return variables;
}
