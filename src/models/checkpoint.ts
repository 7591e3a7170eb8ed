/** Loading Hugging Face T5 checkpoint folders and saving our own in the same format. */
import fs from "node:fs";
import path from "node:path";
import { configToHuggingFace, parseT5Config } from "./config.js";
import { readSafetensors, writeSafetensors, type TensorFile } from "./safetensors.js";
import { T5Model } from "./t5.js";

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read (${(error as Error).message}).`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message}).`);
  }
}

/**
 * Reads the tensors of a checkpoint folder: `model.safetensors`, or the shards listed by
 * `model.safetensors.index.json` (each tensor must be in the shard its `weight_map` names).
 * Returns the tensors and a description of their source for error messages.
 */
export function readCheckpointTensors(folder: string): { tensors: TensorFile; source: string } {
  const single = path.join(folder, "model.safetensors");
  if (fs.existsSync(single)) return { tensors: readSafetensors(single), source: single };
  const indexFile = path.join(folder, "model.safetensors.index.json");
  if (!fs.existsSync(indexFile)) {
    throw new Error(`${folder}: no model.safetensors or model.safetensors.index.json (PyTorch .bin checkpoints are not supported).`);
  }
  const index = readJson(indexFile) as { weight_map?: Record<string, string> };
  if (typeof index.weight_map !== "object" || index.weight_map === null) throw new Error(`${indexFile}: field "weight_map" is missing.`);
  const tensors: TensorFile = new Map();
  const shards = [...new Set(Object.values(index.weight_map))].sort();
  for (const shard of shards) {
    const shardFile = path.join(folder, shard);
    for (const [name, tensor] of readSafetensors(shardFile)) {
      if (index.weight_map[name] !== shard) {
        throw new Error(`${shardFile}: tensor "${name}" is not listed for this shard in ${indexFile}.`);
      }
      tensors.set(name, tensor);
    }
  }
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (!tensors.has(name)) throw new Error(`${path.join(folder, shard)}: tensor "${name}" listed in ${indexFile} is missing.`);
  }
  return { tensors, source: shards.length === 1 ? path.join(folder, shards[0]!) : `${folder} (shards ${shards.join(", ")})` };
}

/** Loads a Hugging Face T5 v1.1 folder (config.json plus safetensors, whose F32, F16 or BF16 tensors become float32). */
export function loadT5(folder: string, seed = 0): T5Model {
  const configFile = path.join(folder, "config.json");
  const config = parseT5Config(readJson(configFile), configFile);
  const { tensors, source } = readCheckpointTensors(folder);
  return T5Model.fromTensors(config, tensors, source, seed);
}

/** Saves a model as a Hugging Face folder (config.json + model.safetensors, float32, Hugging Face names). */
export async function saveT5(model: T5Model, folder: string): Promise<void> {
  fs.mkdirSync(folder, { recursive: true });
  writeSafetensors(path.join(folder, "model.safetensors"), await model.toTensors());
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configToHuggingFace(model.config), null, 2) + "\n");
}
