/**
 * Tunable PEFT modules for a frozen T5: Prefix-Flat (the prefixes are the parameters), Prefix-MLP (learned
 * embeddings through MLP heads, HyperTuning appendix E) and LoRA on q and v. Each saves to and loads from files,
 * and can start from given tensors (the hyper-init and shared-init experiments).
 */
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { innerWidth, type T5Config } from "./config.js";
import { initHeads, prefixesFromRepresentations, prefixHeadShapes } from "./heads.js";
import { childSeed, normalValues, uniformGenerator, uniformValues } from "./random.js";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors, type TensorFile } from "./safetensors.js";
import { loraModules, prefixModules, type PeftParameters } from "./t5.js";
import { checkTensorNames, newVariable, tensorsToFile } from "./variables.js";

export type TunableKind = "prefix-flat" | "prefix-mlp" | "lora";

/** A set of trainable PEFT variables that produces the PEFT parameters of a frozen T5. */
export interface TunableModule {
  readonly kind: TunableKind;
  readonly config: T5Config;
  /** Trainable variables by name (the names used in its file). */
  readonly variables: Map<string, tf.Variable>;
  /** Returns PEFT parameters shared by the whole batch. Call it inside tf.tidy or a gradient function. */
  parameters(): PeftParameters;
  /** Writes the module: a safetensors file for prefixes, a PEFT folder for LoRA. */
  save(target: string): Promise<void>;
  dispose(): void;
}

function variablesFrom(file: TensorFile): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  for (const [name, tensor] of file) variables.set(name, newVariable(tf.tensor(tensor.values, tensor.shape), name));
  return variables;
}

async function fileFrom(values: Map<string, tf.Tensor> | Record<string, tf.Tensor>): Promise<TensorFile> {
  return tensorsToFile(values);
}

function disposeAll(variables: Map<string, tf.Variable>): void {
  for (const variable of variables.values()) variable.dispose();
}

/** Names and shapes of Prefix-Flat tensors: `<self-attention module>.prefix_k|prefix_v` of shape (P, inner). */
export function prefixShapes(config: T5Config, length: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const module of prefixModules(config)) {
    shapes.set(`${module}.prefix_k`, [length, innerWidth(config)]);
    shapes.set(`${module}.prefix_v`, [length, innerWidth(config)]);
  }
  return shapes;
}

export class PrefixFlat implements TunableModule {
  readonly kind = "prefix-flat" as const;
  constructor(readonly config: T5Config, readonly length: number, readonly variables: Map<string, tf.Variable>) {}

  /** Prefixes drawn from N(0, 0.5²) (Prefix-Flat (Rand)). */
  static random(config: T5Config, length: number, seed: number): PrefixFlat {
    const file: TensorFile = new Map();
    for (const [name, shape] of prefixShapes(config, length)) {
      file.set(name, { shape, values: normalValues(uniformGenerator(childSeed(seed, name)), shape[0]! * shape[1]!, 0.5) });
    }
    return new PrefixFlat(config, length, variablesFrom(file));
  }

  /** Prefixes copied from given tensors of shape (P, inner) or (1, P, inner) (Prefix-Flat (Shared/Hyper)). */
  static async fromParameters(config: T5Config, parameters: PeftParameters): Promise<PrefixFlat> {
    const file: TensorFile = new Map();
    for (const [name, tensor] of Object.entries(parameters.tensors)) {
      if (!name.endsWith(".prefix_k") && !name.endsWith(".prefix_v")) continue;
      const shape = tensor.rank === 3 && tensor.shape[0] === 1 ? tensor.shape.slice(1) : tensor.shape.slice();
      file.set(name, { shape, values: Float32Array.from(await tensor.data()) });
    }
    const length = file.values().next().value?.shape[0];
    if (length === undefined) throw new Error("No prefix tensors given to initialize Prefix-Flat.");
    checkTensorNames(file, prefixShapes(config, length), "Prefix-Flat initialization");
    return new PrefixFlat(config, length, variablesFrom(file));
  }

  /** Reads a prefix file (tensors `<module>.prefix_k|prefix_v`, e.g. the golden fixture's adapters). */
  static load(config: T5Config, file: string): PrefixFlat {
    const all = readSafetensors(file);
    const tensors: TensorFile = new Map([...all].filter(([name]) => name.endsWith(".prefix_k") || name.endsWith(".prefix_v")));
    const length = tensors.values().next().value?.shape[0];
    if (length === undefined) throw new Error(`${file}: no prefix tensors ("<module>.prefix_k").`);
    checkTensorNames(tensors, prefixShapes(config, length), file);
    return new PrefixFlat(config, length, variablesFrom(tensors));
  }

  parameters(): PeftParameters {
    return { tensors: Object.fromEntries(this.variables) };
  }

  async save(target: string): Promise<void> {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    writeSafetensors(target, await fileFrom(this.variables), { peft_kind: "prefix-flat", prefix_length: String(this.length) });
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

export class PrefixMlp implements TunableModule {
  readonly kind = "prefix-mlp" as const;
  constructor(readonly config: T5Config, readonly length: number, readonly variables: Map<string, tf.Variable>) {}

  static shapes(config: T5Config, length: number): Map<string, number[]> {
    return new Map([["prefix_embeddings", [2 * length, config.d_model]], ...prefixHeadShapes(config)]);
  }

  /** Random embeddings (N(0, 1)) and heads (PyTorch defaults): conventional prefix tuning, Prefix-MLP (Rand). */
  static random(config: T5Config, length: number, seed: number): PrefixMlp {
    const variables = initHeads(prefixHeadShapes(config), seed);
    const embeddings = normalValues(uniformGenerator(childSeed(seed, "prefix_embeddings")), 2 * length * config.d_model, 1);
    variables.set("prefix_embeddings", newVariable(tf.tensor(embeddings, [2 * length, config.d_model]), "prefix_embeddings"));
    return new PrefixMlp(config, length, variables);
  }

  /**
   * From given embeddings (2P, d_model) and prefix-head tensors, e.g. the decoder outputs and heads of
   * HyperT5-Prefix-MLP for one task (Prefix-MLP (Hyper)) or a multi-task Prefix-MLP (Prefix-MLP (Shared)).
   */
  static async fromTensors(config: T5Config, tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>): Promise<PrefixMlp> {
    const file = await fileFrom(tensors);
    const embeddings = file.get("prefix_embeddings");
    if (embeddings === undefined) throw new Error('Prefix-MLP initialization needs a "prefix_embeddings" tensor.');
    if (embeddings.shape.length === 3 && embeddings.shape[0] === 1) embeddings.shape = embeddings.shape.slice(1);
    const length = (embeddings.shape[0] ?? 0) / 2;
    checkTensorNames(file, PrefixMlp.shapes(config, length), "Prefix-MLP initialization");
    return new PrefixMlp(config, length, variablesFrom(file));
  }

  static load(config: T5Config, file: string): PrefixMlp {
    const tensors = readSafetensors(file);
    const length = (tensors.get("prefix_embeddings")?.shape[0] ?? 0) / 2;
    if (length === 0) throw new Error(`${file}: tensor "prefix_embeddings" is missing.`);
    checkTensorNames(tensors, PrefixMlp.shapes(config, length), file);
    return new PrefixMlp(config, length, variablesFrom(tensors));
  }

  parameters(): PeftParameters {
    const embeddings = tf.expandDims(this.variables.get("prefix_embeddings")!, 0) as tf.Tensor3D;
    const batched = prefixesFromRepresentations(this.variables, this.config, embeddings);
    return { tensors: Object.fromEntries(Object.entries(batched).map(([name, tensor]) => [name, tf.squeeze(tensor, [0])])) };
  }

  async save(target: string): Promise<void> {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    writeSafetensors(target, await fileFrom(this.variables), { peft_kind: "prefix-mlp", prefix_length: String(this.length) });
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

/** The `base_model.model.` prefix of Hugging Face PEFT tensor names. */
const peftPrefix = "base_model.model.";

export function loraShapes(config: T5Config, rank: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const inner = innerWidth(config);
  for (const module of loraModules(config)) {
    const inFeatures = config.d_model;
    for (const projection of ["q", "v"]) {
      shapes.set(`${module}.${projection}.lora_A.weight`, [rank, inFeatures]);
      shapes.set(`${module}.${projection}.lora_B.weight`, [inner, rank]);
    }
  }
  return shapes;
}

export class Lora implements TunableModule {
  readonly kind = "lora" as const;
  constructor(readonly config: T5Config, readonly rank: number, readonly alpha: number, readonly variables: Map<string, tf.Variable>) {}

  /** PEFT's initialization: A ~ U(±1/√in) (Kaiming-uniform with a = √5), B = 0, so the model starts unchanged. */
  static random(config: T5Config, rank: number, seed: number, alpha = rank): Lora {
    const file: TensorFile = new Map();
    for (const [name, shape] of loraShapes(config, rank)) {
      const count = shape[0]! * shape[1]!;
      const values = name.includes("lora_A") ? uniformValues(uniformGenerator(childSeed(seed, name)), count, 1 / Math.sqrt(shape[1]!)) : new Float32Array(count);
      file.set(name, { shape, values });
    }
    return new Lora(config, rank, alpha, variablesFrom(file));
  }

  /** From given tensors of shape (r, in) / (out, r), or with a leading batch axis of 1 (LoRA (Shared/Hyper)). */
  static async fromParameters(config: T5Config, parameters: PeftParameters): Promise<Lora> {
    const file: TensorFile = new Map();
    for (const [name, tensor] of Object.entries(parameters.tensors)) {
      if (!name.includes(".lora_")) continue;
      const shape = tensor.rank === 3 && tensor.shape[0] === 1 ? tensor.shape.slice(1) : tensor.shape.slice();
      file.set(name, { shape, values: Float32Array.from(await tensor.data()) });
    }
    const rank = file.get(`${loraModules(config)[0]}.q.lora_A.weight`)?.shape[0];
    if (rank === undefined) throw new Error("No LoRA tensors given to initialize LoRA.");
    checkTensorNames(file, loraShapes(config, rank), "LoRA initialization");
    // alpha = r·scale keeps the effective delta of the given tensors.
    return new Lora(config, rank, rank * (parameters.loraScale ?? 1), variablesFrom(file));
  }

  /**
   * Reads a Hugging Face PEFT LoRA folder (`adapter_config.json` + `adapter_model.safetensors`) whose targets are
   * T5's q and v. Tensor names may carry PEFT's `base_model.model.` prefix.
   */
  static load(config: T5Config, folder: string): Lora {
    const configFile = path.join(folder, "adapter_config.json");
    let adapterConfig: Record<string, unknown>;
    try {
      adapterConfig = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${configFile}: cannot read the adapter config (${(error as Error).message}).`);
    }
    if (adapterConfig.peft_type !== "LORA") throw new Error(`${configFile}: peft_type is ${JSON.stringify(adapterConfig.peft_type)}, expected "LORA".`);
    const rank = adapterConfig.r;
    const alpha = adapterConfig.lora_alpha ?? rank;
    if (typeof rank !== "number" || typeof alpha !== "number") throw new Error(`${configFile}: fields "r" and "lora_alpha" must be numbers.`);
    const targets = adapterConfig.target_modules;
    if (!Array.isArray(targets) || [...targets].sort().join(",") !== "q,v") {
      throw new Error(`${configFile}: target_modules is ${JSON.stringify(targets)}; only ["q", "v"] is supported.`);
    }
    const weightsFile = path.join(folder, "adapter_model.safetensors");
    const tensors: TensorFile = new Map();
    for (const [name, tensor] of readSafetensors(weightsFile)) {
      tensors.set((name.startsWith(peftPrefix) ? name.slice(peftPrefix.length) : name).replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B."), tensor);
    }
    checkTensorNames(tensors, loraShapes(config, rank), weightsFile);
    return new Lora(config, rank, alpha, variablesFrom(tensors));
  }

  parameters(): PeftParameters {
    return { tensors: Object.fromEntries(this.variables), loraScale: this.alpha / this.rank };
  }

  /** Writes PEFT's layout: adapter_config.json and adapter_model.safetensors with `base_model.model.` names. */
  async save(folder: string): Promise<void> {
    fs.mkdirSync(folder, { recursive: true });
    const file = await fileFrom(this.variables);
    writeSafetensors(path.join(folder, "adapter_model.safetensors"), new Map([...file].map(([name, tensor]) => [peftPrefix + name, tensor])));
    const adapterConfig = {
      peft_type: "LORA",
      task_type: "SEQ_2_SEQ_LM",
      r: this.rank,
      lora_alpha: this.alpha,
      lora_dropout: 0,
      target_modules: ["q", "v"],
      bias: "none",
      fan_in_fan_out: false,
      inference_mode: true,
      base_model_name_or_path: null,
    };
    fs.writeFileSync(path.join(folder, "adapter_config.json"), JSON.stringify(adapterConfig, null, 2) + "\n");
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

/**
 * Converts prefixes stacked as one tensor ϕ of shape [B, L, 2 (encoder, decoder), 2 (key, value), P, inner], or
 * without the batch axis, into named PEFT parameters. Both stacks must have L layers.
 */
export function prefixParametersFromTensor(config: T5Config, phi: tf.Tensor): PeftParameters {
  if (config.num_layers !== config.num_decoder_layers) {
    throw new Error(`A stacked prefix tensor needs equal encoder and decoder depths, got ${config.num_layers} and ${config.num_decoder_layers}.`);
  }
  const batched = phi.rank === 6;
  const shape = batched ? phi.shape.slice(1) : phi.shape;
  const expected = [config.num_layers, 2, 2, shape[3], innerWidth(config)];
  if (phi.rank < 5 || phi.rank > 6 || shape.some((size, i) => size !== expected[i])) {
    throw new Error(`A stacked prefix tensor must have shape [B, ${config.num_layers}, 2, 2, P, ${innerWidth(config)}], got [${phi.shape}].`);
  }
  const tensors: Record<string, tf.Tensor> = {};
  const layers = tf.unstack(phi, batched ? 1 : 0);
  layers.forEach((layer, index) => {
    const stacks = tf.unstack(layer, batched ? 1 : 0);
    (["encoder", "decoder"] as const).forEach((stack, stackIndex) => {
      const [key, value] = tf.unstack(stacks[stackIndex]!, batched ? 1 : 0);
      const module = `${stack}.block.${index}.layer.0.SelfAttention`;
      tensors[`${module}.prefix_k`] = key!;
      tensors[`${module}.prefix_v`] = value!;
    });
  });
  return { tensors };
}

/** Loads any adapter: a PEFT LoRA folder, or a prefix file (Prefix-MLP when it holds `prefix_embeddings`). */
export function loadAdapter(config: T5Config, target: string): TunableModule {
  if (fs.existsSync(path.join(target, "adapter_config.json"))) return Lora.load(config, target);
  if (!fs.existsSync(target)) throw new Error(`${target}: no such adapter file or folder.`);
  if (fs.statSync(target).isDirectory()) throw new Error(`${target}: a folder without adapter_config.json is not an adapter.`);
  const kind = readSafetensorsMetadata(target).peft_kind;
  if (kind === "prefix-mlp") return PrefixMlp.load(config, target);
  return PrefixFlat.load(config, target);
}

/** Saves generated PEFT parameters for one task (batch axis of 1 or none): prefixes as a file, LoRA as a PEFT folder. */
export async function saveParameters(config: T5Config, parameters: PeftParameters, target: string): Promise<TunableKind> {
  const names = Object.keys(parameters.tensors);
  const module = names.some((name) => name.includes(".lora_"))
    ? await Lora.fromParameters(config, parameters)
    : await PrefixFlat.fromParameters(config, parameters);
  try {
    await module.save(target);
    return module.kind;
  } finally {
    module.dispose();
  }
}
