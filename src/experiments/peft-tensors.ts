/** Lifetime handling of PEFT parameter tensors computed outside a gradient function. */

import * as tf from "@tensorflow/tfjs";

import type { PeftParameters, TunableModule } from "../models/index.js";

/** Runs `build` in a tidy scope and keeps only the PEFT tensors it returns (the caller disposes them). */
export function keepPeft(build: () => PeftParameters): PeftParameters {
  let loraScale: number | undefined;
  const tensors = tf.tidy(() => {
    const peft = build();
    loraScale = peft.loraScale;
    return peft.tensors as tf.TensorContainerObject;
  }) as Record<string, tf.Tensor>;
  return loraScale === undefined ? { tensors } : { tensors, loraScale };
}

/** Disposes kept PEFT tensors, except the variables of `module` that some of them may be. */
export function disposePeft(peft: PeftParameters | undefined, module?: TunableModule): void {
  if (peft === undefined) return;
  const owned = new Set<tf.Tensor>(module ? [...module.variables.values()] : []);
  tf.dispose(Object.values(peft.tensors).filter((tensor) => !owned.has(tensor)));
}
