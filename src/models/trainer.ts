/**
 * Adam with linear warm-up and decay, gradient accumulation, and checkpoints of parameters, optimizer state and
 * step, so that a killed training stage resumes where it stopped. Every step runs in tf.tidy: the tensor count
 * stays flat over any number of steps.
 */
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readSafetensors, writeSafetensors, type TensorFile } from "./safetensors.js";
import { adamKernelName, type AdamAttributes } from "./backend.js";
import { newVariable, tensorsToFile } from "./variables.js";

export interface TrainerOptions {
  learningRate: number;
  /** Steps of the whole run. The learning rate decays linearly to 0 at this step. */
  totalSteps: number;
  /** Linear warm-up from 0 over this many steps (default 0). */
  warmupSteps?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW), 0 by default. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value (default: no clipping). */
  clipNorm?: number;
}

export interface StepResult {
  step: number;
  /** Mean loss over the micro-batches of the step. */
  loss: number;
  learningRate: number;
}

/** Learning rate at `step` (1-based) under linear warm-up and linear decay to 0 at `totalSteps`. */
export function learningRateAt(options: TrainerOptions, step: number): number {
  const warmup = options.warmupSteps ?? 0;
  if (warmup > 0 && step <= warmup) return (options.learningRate * step) / warmup;
  const remaining = Math.max(0, options.totalSteps - step + 1) / Math.max(1, options.totalSteps - warmup);
  return options.learningRate * Math.min(1, remaining);
}

/** One Adam update with tfjs ops: the new parameter, first moment and second moment. */
export function adamWithOps(parameter: tf.Tensor, gradient: tf.Tensor, first: tf.Tensor, second: tf.Tensor, attributes: AdamAttributes): tf.Tensor[] {
  const { beta1, beta2, epsilon, learningRate, correction1, correction2, weightDecay, gradientScale } = attributes;
  const scaled = tf.mul(gradient, gradientScale);
  const nextFirst = tf.add(tf.mul(first, beta1), tf.mul(scaled, 1 - beta1));
  const nextSecond = tf.add(tf.mul(second, beta2), tf.mul(tf.square(scaled), 1 - beta2));
  const update = tf.div(tf.mul(nextFirst, learningRate / correction1), tf.add(tf.sqrt(tf.div(nextSecond, correction2)), epsilon));
  const decayed = weightDecay > 0 ? tf.mul(parameter, 1 - learningRate * weightDecay) : parameter;
  return [tf.sub(decayed, update), nextFirst, nextSecond];
}

export class Trainer {
  /** Optimizer steps taken so far. */
  step = 0;
  private readonly firstMoment = new Map<string, tf.Variable>();
  private readonly secondMoment = new Map<string, tf.Variable>();

  /** Trains `variables` (by unique name), while other variables read by the loss stay frozen. */
  constructor(readonly variables: Map<string, tf.Variable>, readonly options: TrainerOptions) {
    for (const [name, variable] of variables) {
      this.firstMoment.set(name, newVariable(tf.zerosLike(variable), `adam.m.${name}`, false));
      this.secondMoment.set(name, newVariable(tf.zerosLike(variable), `adam.v.${name}`, false));
    }
  }

  /**
   * One optimizer step: the gradients of each micro-batch loss are summed and averaged (gradient accumulation),
   * then Adam updates the variables. Each loss function builds its own tensors, and they are freed afterwards.
   */
  trainStep(microBatchLosses: (() => tf.Scalar)[]): StepResult {
    if (microBatchLosses.length === 0) throw new Error("trainStep needs at least one micro-batch loss.");
    const names = [...this.variables.keys()];
    const list = names.map((name) => this.variables.get(name)!);
    let sums: tf.Tensor[] | undefined;
    let lossTotal = 0;
    for (const lossFunction of microBatchLosses) {
      const { value, grads } = tf.variableGrads(lossFunction, list);
      lossTotal += value.dataSync()[0] as number;
      value.dispose();
      const current = names.map((name, i) => grads[list[i]!.name] ?? tf.zerosLike(this.variables.get(name)!));
      if (sums === undefined) sums = current;
      else {
        const previous = sums;
        sums = tf.tidy(() => previous.map((sum, i) => tf.add(sum, current[i]!)));
        tf.dispose([...previous, ...current]);
      }
      for (const gradient of Object.values(grads)) if (!current.includes(gradient)) gradient.dispose();
    }
    this.step += 1;
    const learningRate = learningRateAt(this.options, this.step);
    const gradients = sums!;
    tf.tidy(() => this.applyAdam(names, gradients.map((gradient) => tf.div(gradient, microBatchLosses.length)), learningRate));
    tf.dispose(gradients);
    return { step: this.step, loss: lossTotal / microBatchLosses.length, learningRate };
  }

  private applyAdam(names: string[], gradients: tf.Tensor[], learningRate: number): void {
    const beta1 = this.options.beta1 ?? 0.9;
    const beta2 = this.options.beta2 ?? 0.999;
    const epsilon = this.options.epsilon ?? 1e-8;
    const weightDecay = this.options.weightDecay ?? 0;
    let gradientScale = 1;
    if (this.options.clipNorm !== undefined) {
      const norm = Math.sqrt(tf.addN(gradients.map((gradient) => tf.sum(tf.square(gradient)))).dataSync()[0] as number);
      gradientScale = Math.min(1, this.options.clipNorm / Math.max(norm, 1e-12));
    }
    const attributes: AdamAttributes = {
      beta1,
      beta2,
      epsilon,
      learningRate,
      correction1: 1 - beta1 ** this.step,
      correction2: 1 - beta2 ** this.step,
      weightDecay,
      gradientScale,
    };
    const fused = tf.getKernel(adamKernelName, tf.getBackend()) !== undefined;
    names.forEach((name, i) => {
      const parameter = this.variables.get(name)!;
      const firstMoment = this.firstMoment.get(name)!;
      const secondMoment = this.secondMoment.get(name)!;
      const gradient = gradients[i]!;
      const [nextParameter, nextFirst, nextSecond] = fused
        ? (tf.engine().runKernel(adamKernelName, { parameter, gradient, firstMoment, secondMoment }, attributes as unknown as tf.NamedAttrMap) as tf.Tensor[])
        : adamWithOps(parameter, gradient, firstMoment, secondMoment, attributes);
      parameter.assign(nextParameter!);
      firstMoment.assign(nextFirst!);
      secondMoment.assign(nextSecond!);
    });
  }

  /**
   * Writes parameters, Adam moments and the step into `folder` atomically (a temporary folder renamed over the
   * previous checkpoint), so a kill mid-write leaves the last complete checkpoint.
   */
  async save(folder: string): Promise<void> {
    const temporary = `${folder}.tmp-${process.pid}`;
    fs.rmSync(temporary, { recursive: true, force: true });
    fs.mkdirSync(temporary, { recursive: true });
    writeSafetensors(path.join(temporary, "parameters.safetensors"), await tensorsToFile(this.variables));
    const moments: TensorFile = new Map();
    for (const [name, tensor] of await tensorsToFile(this.firstMoment)) moments.set(`m.${name}`, tensor);
    for (const [name, tensor] of await tensorsToFile(this.secondMoment)) moments.set(`v.${name}`, tensor);
    writeSafetensors(path.join(temporary, "optimizer.safetensors"), moments);
    fs.writeFileSync(path.join(temporary, "state.json"), JSON.stringify({ step: this.step, options: this.options }, null, 2) + "\n");
    const previous = `${folder}.old-${process.pid}`;
    if (fs.existsSync(folder)) fs.renameSync(folder, previous);
    fs.renameSync(temporary, folder);
    fs.rmSync(previous, { recursive: true, force: true });
  }

  /** Restores a checkpoint written by `save` and returns false when `folder` does not exist. */
  restore(folder: string): boolean {
    if (!fs.existsSync(path.join(folder, "state.json"))) return false;
    const state = JSON.parse(fs.readFileSync(path.join(folder, "state.json"), "utf8")) as { step?: unknown };
    if (typeof state.step !== "number") throw new Error(`${path.join(folder, "state.json")}: field "step" is missing.`);
    const parametersFile = path.join(folder, "parameters.safetensors");
    const optimizerFile = path.join(folder, "optimizer.safetensors");
    const parameters = readSafetensors(parametersFile);
    const moments = readSafetensors(optimizerFile);
    const assign = (target: tf.Variable, file: TensorFile, name: string, source: string): void => {
      const stored = file.get(name);
      if (stored === undefined) throw new Error(`${source}: tensor "${name}" is missing.`);
      if (stored.shape.join(",") !== target.shape.join(",")) throw new Error(`${source}: tensor "${name}" has shape [${stored.shape}], expected [${target.shape}].`);
      tf.tidy(() => target.assign(tf.tensor(stored.values, stored.shape)));
    };
    for (const [name, variable] of this.variables) {
      assign(variable, parameters, name, parametersFile);
      assign(this.firstMoment.get(name)!, moments, `m.${name}`, optimizerFile);
      assign(this.secondMoment.get(name)!, moments, `v.${name}`, optimizerFile);
    }
    this.step = state.step;
    return true;
  }

  /** Frees the optimizer state (not the trained variables). */
  dispose(): void {
    for (const variable of [...this.firstMoment.values(), ...this.secondMoment.values()]) variable.dispose();
  }
}
