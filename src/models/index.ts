/**
 * Public API of the models library: T5 v1.1 in TensorFlow.js, PEFT modules (Prefix-Flat, Prefix-MLP, LoRA),
 * HyperT5-Prefix / HyperT5-LoRA, inference and training utilities. Call `initBackend()` once before anything else.
 */

/** Cheap backend choice for stage keys (no tfjs import): `detectBackend(requested?) → {name, packages}`. */
export { detectBackend, type BackendName, type DetectedBackend } from "./backend-detect.js";
/** Loads and selects the backend (tensorflow → wasm → cpu, or the requested one) and logs it, and `activeBackend()` returns it. */
export { initBackend, activeBackend } from "./backend.js";

/** T5 config with Hugging Face field names, validated by `parseT5Config(json, source)` and written by `configToHuggingFace`. */
export { parseT5Config, configToHuggingFace, innerWidth, type T5Config } from "./config.js";

/** The T5 model (`T5Model.create(config, seed)`, `.forward`, `.loss`, `.encode`, `.decode`), batches and PEFT parameter maps. */
export {
  T5Model,
  labelLoss,
  shiftRight,
  t5ParameterShapes,
  attentionModule,
  loraModules,
  prefixModules,
  type T5Batch,
  type ForwardOptions,
  type PeftParameters,
} from "./t5.js";

/** Hugging Face checkpoint folders: `loadT5(folder)` (single or sharded safetensors, F32/F16/BF16) and `saveT5(model, folder)`. */
export { loadT5, saveT5, readCheckpointTensors } from "./checkpoint.js";

/** safetensors reading (float32 out, errors naming file and tensor) and writing. */
export { readSafetensors, writeSafetensors, readSafetensorsMetadata, type TensorFile, type NamedArray } from "./safetensors.js";

/** Tunable PEFT modules: `PrefixFlat`, `PrefixMlp`, `Lora` (random / from tensors / load / save), `loadAdapter`, `saveParameters`, and `prefixParametersFromTensor` for a stacked ϕ [B, L, 2, 2, P, inner]. */
export {
  PrefixFlat,
  PrefixMlp,
  Lora,
  loadAdapter,
  saveParameters,
  prefixParametersFromTensor,
  prefixShapes,
  loraShapes,
  type TunableModule,
  type TunableKind,
} from "./peft.js";

/** `HyperT5.fromDownstream(t5, {kind, prefixLength | loraRank, seed})`, `.generate(fewShotIds, mask)` → per-example PEFT parameters. */
export { HyperT5, type HyperKind, type HyperT5Options } from "./hyper.js";
/** The variables a hypermodel step trains: the hypermodel's, plus the downstream model's for HyperT5-Prefix+ / HyperT5-LoRA+. */
export { hyperTrainingVariables } from "./hyper.js";

/** Drops the batch axis of single-row generated PEFT parameters (to share them over a batch). */
export { squeezeBatch } from "./heads.js";

/** Rank classification (`scoreChoices`: summed log-likelihood per choice) and greedy generation (`generateGreedy`). */
export { scoreChoices, generateGreedy, padRows, type ScoringExample, type InferenceOptions } from "./inference.js";

/** `Trainer`: Adam with linear warm-up/decay, gradient accumulation, atomic checkpoint save/restore (parameters, moments, step). */
export { Trainer, learningRateAt, type TrainerOptions, type StepResult } from "./trainer.js";

/** Matrix-multiplication FLOPs per step (`estimateFlops(config, shape)`) for manifests. */
export { estimateFlops, type StepShape } from "./flops.js";

/** Seeded random numbers for reproducible initialization. */
export { uniformGenerator, normalValues, childSeed } from "./random.js";
