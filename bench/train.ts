/**
 * Training-step benchmark for the tiny T5 shape: median time of a full step (forward, backward, Adam) for plain T5,
 * HyperT5-Prefix and HyperT5-LoRA, with tokens/s and achieved GFLOP/s beside the backend's plain 2-D matMul
 * GFLOP/s measured in the same run. Ends with one JSON line of the figures.
 *
 * Step time and tokens/s are wall-clock medians. GFLOP/s and the ceiling ratio use the process's CPU time instead:
 * the wasm backend runs on one thread, so CPU time is its compute time even when other processes share the cores.
 *
 * Usage: npm run bench:train [-- --backend NAME --steps N]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import {
  estimateFlops,
  HyperT5,
  initBackend,
  normalValues,
  parseT5Config,
  T5Model,
  Trainer,
  uniformGenerator,
  type StepShape,
  type T5Batch,
} from "../src/models/index.js";

const shape = { vocab: 4096, batch: 32, inputLength: 64, targetLength: 16, fewShotLength: 64, prefixLength: 8, loraRank: 8 };

const config = parseT5Config(
  {
    vocab_size: shape.vocab,
    d_model: 128,
    d_kv: 32,
    num_heads: 4,
    d_ff: 256,
    num_layers: 2,
    num_decoder_layers: 2,
    dropout_rate: 0.1,
  },
  "benchmark config",
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds of CPU time (user + system) since `start`. */
function cpuMilliseconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Median GFLOP/s (by CPU time) of an untransposed 2-D matMul, the fastest path of every backend. */
function matMulGflops(repeats: number): number {
  const [m, k, n] = [2048, 256, 512];
  const random = uniformGenerator(1);
  const a = tf.tensor2d(normalValues(random, m * k, 1), [m, k]);
  const b = tf.tensor2d(normalValues(random, k * n, 1), [k, n]);
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const start = process.cpuUsage();
    const product = tf.matMul(a, b);
    product.dataSync();
    const elapsed = cpuMilliseconds(start);
    product.dispose();
    if (i >= 2) times.push(elapsed);
  }
  tf.dispose([a, b]);
  return (2 * m * k * n) / (median(times) / 1000) / 1e9;
}

function randomIds(random: () => number, rows: number, length: number): number[][] {
  // Ids from 2 up, with the last token EOS (1), as real batches end.
  return Array.from({ length: rows }, () => Array.from({ length }, (_, t) => (t === length - 1 ? 1 : 2 + Math.floor(random() * (shape.vocab - 2)))));
}

function makeBatch(): { batch: T5Batch; fewShotIds: tf.Tensor2D; fewShotMask: tf.Tensor2D } {
  const random = uniformGenerator(7);
  return {
    batch: {
      inputIds: tf.tensor2d(randomIds(random, shape.batch, shape.inputLength), undefined, "int32"),
      attentionMask: tf.ones([shape.batch, shape.inputLength], "int32") as tf.Tensor2D,
      labels: tf.tensor2d(randomIds(random, shape.batch, shape.targetLength), undefined, "int32"),
    },
    fewShotIds: tf.tensor2d(randomIds(random, shape.batch, shape.fewShotLength), undefined, "int32"),
    fewShotMask: tf.ones([shape.batch, shape.fewShotLength], "int32") as tf.Tensor2D,
  };
}

interface ModelFigures {
  step_ms: number;
  cpu_ms: number;
  tokens_per_s: number;
  gflops: number;
  ceiling_ratio: number;
}

/** Median wall-clock and CPU milliseconds of a training step, after two warm-up steps. */
function timeSteps(trainer: Trainer, loss: () => tf.Scalar, steps: number): { wall: number; cpu: number } {
  for (let i = 0; i < 2; i++) trainer.trainStep([loss]);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    trainer.trainStep([loss]);
    cpu.push(cpuMilliseconds(cpuStart));
    wall.push(performance.now() - start);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: "string" }, steps: { type: "string" } } });
  const steps = values.steps === undefined ? 10 : Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got "${values.steps}".`);
  const backend = await initBackend(values.backend);
  // The ceiling is sampled before and after every model and its median used, because other processes sharing
  // the cores change the achievable rate over the run, even in CPU time.
  const ceilingSamples = [matMulGflops(10)];
  const { batch, fewShotIds, fewShotMask } = makeBatch();
  const downstream = T5Model.create(config, 1);
  const figures: Record<string, ModelFigures> = {};
  const report = (name: string, stepShape: StepShape, tokens: number, time: { wall: number; cpu: number }): void => {
    ceilingSamples.push(matMulGflops(10));
    const ceiling = median(ceilingSamples);
    const gflops = estimateFlops(config, stepShape) / (time.cpu / 1000) / 1e9;
    figures[name] = {
      step_ms: Number(time.wall.toFixed(1)),
      cpu_ms: Number(time.cpu.toFixed(1)),
      tokens_per_s: Math.round(tokens / (time.wall / 1000)),
      gflops: Number(gflops.toFixed(2)),
      ceiling_ratio: Number((gflops / ceiling).toFixed(3)),
    };
    const row = figures[name]!;
    console.log(
      `${name.padEnd(13)} step ${row.step_ms.toFixed(1).padStart(7)} ms (CPU ${row.cpu_ms.toFixed(1).padStart(7)} ms)  ` +
        `${String(row.tokens_per_s).padStart(6)} tokens/s  ${row.gflops.toFixed(2).padStart(6)} GFLOP/s  ceiling ratio ${row.ceiling_ratio.toFixed(3)}`,
    );
  };

  console.log(`backend ${backend.name}; batch ${shape.batch}, ${shape.inputLength} input and ${shape.targetLength} target tokens`);
  console.log("step and tokens/s: wall-clock medians; GFLOP/s and ceiling ratio: CPU time of this single-threaded process");
  const downstreamTokens = shape.batch * (shape.inputLength + shape.targetLength);
  {
    const trainer = new Trainer(downstream.params, { learningRate: 1e-4, totalSteps: 1000 });
    const time = timeSteps(trainer, () => downstream.loss(batch, { training: true }), steps);
    trainer.dispose();
    report("t5", { batch: shape.batch, inputLength: shape.inputLength, targetLength: shape.targetLength, model: "t5", mode: "train-all" }, downstreamTokens, time);
  }
  for (const kind of ["prefix", "lora"] as const) {
    const hyper = HyperT5.fromDownstream(downstream, { kind, prefixLength: shape.prefixLength, loraRank: shape.loraRank, seed: 2 });
    const trainer = new Trainer(hyper.variables, { learningRate: 1e-4, totalSteps: 1000 });
    const loss = (): tf.Scalar => downstream.loss(batch, { peft: hyper.generate(fewShotIds, fewShotMask, { training: true }), training: true });
    const time = timeSteps(trainer, loss, steps);
    trainer.dispose();
    hyper.dispose();
    const stepShape: StepShape = {
      batch: shape.batch,
      inputLength: shape.inputLength,
      targetLength: shape.targetLength,
      model: kind === "prefix" ? "hyper_prefix" : "hyper_lora",
      fewShotLength: shape.fewShotLength,
      prefixLength: shape.prefixLength,
      loraRank: shape.loraRank,
      mode: "train-hyper",
    };
    report(`hyper_${kind}`, stepShape, downstreamTokens + shape.batch * shape.fewShotLength, time);
  }
  const ceiling = median(ceilingSamples);
  console.log(`plain matMul ${ceiling.toFixed(2)} GFLOP/s (median of samples ${ceilingSamples.map((sample) => sample.toFixed(1)).join(", ")}; the ratios above use the median of the samples taken up to each model)`);
  const peakRss = process.resourceUsage().maxRSS / 1024;
  console.log(`peak resident memory ${peakRss.toFixed(0)} MB; HyperT5: ${shape.fewShotLength} few-shot tokens, prefix length ${shape.prefixLength}, LoRA rank ${shape.loraRank}, downstream frozen`);
  console.log(JSON.stringify({ backend: backend.name, matmul_gflops: Number(ceiling.toFixed(2)), peak_rss_mb: Math.round(peakRss), models: figures }));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:train failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
