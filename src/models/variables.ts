/** Named trainable variables and their conversion to and from named float32 arrays. */
import * as tf from "@tensorflow/tfjs";
import type { TensorFile } from "./safetensors.js";

let counter = 0;

/** A trainable variable owning `initial` (tfjs needs globally unique variable names, hence the suffix). */
export function newVariable(initial: tf.Tensor, name: string, trainable = true): tf.Variable {
  counter += 1;
  const variable = tf.variable(initial, trainable, `${name}#${counter}`);
  initial.dispose();
  return variable;
}

/** Reads named tensors into float32 arrays. */
export async function tensorsToFile(tensors: Map<string, tf.Tensor> | Record<string, tf.Tensor>): Promise<TensorFile> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const out: TensorFile = new Map();
  for (const [name, tensor] of entries) out.set(name, { shape: tensor.shape.slice(), values: Float32Array.from(await tensor.data()) });
  return out;
}

/** Checks that `file` contains exactly the `expected` names and shapes. Errors name `source` and the tensor. */
export function checkTensorNames(file: TensorFile, expected: Map<string, number[]>, source: string): void {
  for (const name of file.keys()) if (!expected.has(name)) throw new Error(`${source}: unexpected tensor "${name}".`);
  for (const [name, shape] of expected) {
    const found = file.get(name);
    if (found === undefined) throw new Error(`${source}: tensor "${name}" is missing.`);
    if (found.shape.length !== shape.length || found.shape.some((size, i) => size !== shape[i])) {
      throw new Error(`${source}: tensor "${name}" has shape [${found.shape}], expected [${shape}].`);
    }
  }
}
