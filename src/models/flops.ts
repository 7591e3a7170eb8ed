/** Matrix-multiplication FLOPs of a T5 or HyperT5 step, for manifests and throughput figures. */
import { innerWidth, type T5Config } from "./config.js";

export interface StepShape {
  batch: number;
  inputLength: number;
  targetLength: number;
  /** Model: "t5" is plain T5, and "hyper_prefix" / "hyper_lora" add a hypermodel generating PEFT parameters for the same batch. */
  model: "t5" | "hyper_prefix" | "hyper_lora";
  /** Few-shot input length read by the hypermodel encoder (hypermodels only). */
  fewShotLength?: number;
  prefixLength?: number;
  loraRank?: number;
  /** "train-all" (every weight trained: 3x forward), "train-hyper" (frozen downstream: 2x forward for it), "forward". */
  mode: "train-all" | "train-hyper" | "forward";
}

/** Returns the forward FLOPs of a T5 encoder-decoder, where `prefixLength` adds key columns to every self-attention. */
function t5ForwardFlops(config: T5Config, inputLength: number, targetLength: number, prefixLength: number, withHead: boolean): number {
  const inner = innerWidth(config);
  const d = config.d_model;
  const projections = 2 * d * inner * 4;
  const feedForward = 2 * d * config.d_ff * 3;
  const encoderToken = projections + 2 * 2 * (inputLength + prefixLength) * inner + feedForward;
  const decoderToken = projections + 2 * 2 * (targetLength + prefixLength) * inner + 2 * d * inner * 2 + 2 * 2 * inputLength * inner + feedForward;
  const crossKeyValues = 2 * d * inner * 2 * inputLength;
  let total = config.num_layers * inputLength * encoderToken + config.num_decoder_layers * (targetLength * decoderToken + crossKeyValues);
  if (withHead) total += 2 * d * config.vocab_size * targetLength;
  return total;
}

/** Estimated matMul FLOPs of one step (per batch), counting a backward pass as twice the forward work it trains. */
export function estimateFlops(config: T5Config, shape: StepShape): number {
  const d = config.d_model;
  const inner = innerWidth(config);
  const prefixLength = shape.model === "hyper_prefix" ? (shape.prefixLength ?? 0) : 0;
  const downstream = shape.batch * t5ForwardFlops(config, shape.inputLength, shape.targetLength, prefixLength, true);
  if (shape.model === "t5") return downstream * (shape.mode === "forward" ? 1 : 3);
  const tokens = shape.model === "hyper_prefix" ? 2 * prefixLength : config.num_layers + 2 * config.num_decoder_layers;
  let heads: number;
  if (shape.model === "hyper_prefix") {
    heads = 4 * prefixLength * 2 * d * d + 2 * prefixLength * 2 * d * (config.num_layers + config.num_decoder_layers) * inner;
  } else {
    const rank = shape.loraRank ?? 0;
    heads = tokens * 2 * (2 * d * d + 2 * d * rank * (inner + d));
  }
  const hyper = shape.batch * (t5ForwardFlops(config, shape.fewShotLength ?? shape.inputLength, tokens, 0, false) + heads);
  if (shape.mode === "forward") return downstream + hyper;
  return hyper * 3 + downstream * (shape.mode === "train-all" ? 3 : 2);
}
