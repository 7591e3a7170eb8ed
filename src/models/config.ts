/** T5 v1.1 configuration with Hugging Face's field names, and its validation. */

export interface T5Config {
  vocab_size: number;
  d_model: number;
  /** Width of one attention head. `num_heads * d_kv` may differ from `d_model`. */
  d_kv: number;
  d_ff: number;
  num_heads: number;
  num_layers: number;
  num_decoder_layers: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  layer_norm_epsilon: number;
  dropout_rate: number;
  /** Only "gated-gelu" (T5 v1.1 and the LM-adapted checkpoints) is implemented. */
  feed_forward_proj: string;
  /** Must be false: a tied head (T5 v1.0) rescales the decoder output, which this implementation does not do. */
  tie_word_embeddings: boolean;
  pad_token_id: number;
  eos_token_id: number;
  decoder_start_token_id: number;
}

/** Defaults of Hugging Face's T5Config for the fields a config.json may leave out. */
const defaults: Omit<T5Config, "vocab_size" | "d_model" | "d_kv" | "d_ff" | "num_heads" | "num_layers"> = {
  num_decoder_layers: -1,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  dropout_rate: 0.1,
  feed_forward_proj: "gated-gelu",
  tie_word_embeddings: false,
  pad_token_id: 0,
  eos_token_id: 1,
  decoder_start_token_id: 0,
};

const required = ["vocab_size", "d_model", "d_kv", "d_ff", "num_heads", "num_layers"] as const;

/** Validates a parsed config.json (from `source`, named in errors) and fills Hugging Face's defaults. */
export function parseT5Config(raw: unknown, source: string): T5Config {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: a T5 config must be a JSON object.`);
  }
  const record = raw as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(record)) if (value !== null && value !== undefined) merged[key] = value;
  for (const key of required) {
    if (typeof record[key] !== "number") throw new Error(`${source}: field "${key}" is missing or not a number.`);
  }
  const config = merged as unknown as T5Config;
  if (config.num_decoder_layers === -1 || typeof config.num_decoder_layers !== "number") {
    config.num_decoder_layers = config.num_layers;
  }
  for (const key of Object.keys(defaults) as (keyof T5Config)[]) {
    const expected = typeof (defaults as Record<string, unknown>)[key];
    if (typeof config[key] !== expected) {
      throw new Error(`${source}: field "${key}" must be a ${expected}, got ${JSON.stringify(config[key])}.`);
    }
  }
  const integers = [...required, "num_decoder_layers", "relative_attention_num_buckets", "pad_token_id"] as const;
  for (const key of integers) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 0 || (key !== "pad_token_id" && value === 0)) {
      throw new Error(`${source}: field "${key}" must be a positive integer, got ${JSON.stringify(value)}.`);
    }
  }
  const activation = (record.dense_act_fn as string | undefined) ?? "gelu_new";
  if (config.feed_forward_proj !== "gated-gelu" || (activation !== "gelu_new" && activation !== "gelu_pytorch_tanh")) {
    throw new Error(
      `${source}: only the gated-GELU feed-forward of T5 v1.1 is implemented, got feed_forward_proj ` +
        `"${config.feed_forward_proj}" with activation "${activation}".`,
    );
  }
  if (config.tie_word_embeddings) {
    throw new Error(`${source}: tie_word_embeddings is true (a T5 v1.0 checkpoint); only T5 v1.1 with an untied lm_head is supported.`);
  }
  return {
    vocab_size: config.vocab_size,
    d_model: config.d_model,
    d_kv: config.d_kv,
    d_ff: config.d_ff,
    num_heads: config.num_heads,
    num_layers: config.num_layers,
    num_decoder_layers: config.num_decoder_layers,
    relative_attention_num_buckets: config.relative_attention_num_buckets,
    relative_attention_max_distance: config.relative_attention_max_distance,
    layer_norm_epsilon: config.layer_norm_epsilon,
    dropout_rate: config.dropout_rate,
    feed_forward_proj: config.feed_forward_proj,
    tie_word_embeddings: config.tie_word_embeddings,
    pad_token_id: config.pad_token_id,
    eos_token_id: config.eos_token_id,
    decoder_start_token_id: config.decoder_start_token_id,
  };
}

/** The config.json written with our checkpoints: the fields above plus what Hugging Face needs to load it. */
export function configToHuggingFace(config: T5Config): Record<string, unknown> {
  return {
    architectures: ["T5ForConditionalGeneration"],
    model_type: "t5",
    ...config,
    dense_act_fn: "gelu_new",
    is_gated_act: true,
    is_encoder_decoder: true,
  };
}

/** Width of the projected keys, values and queries of one attention module. */
export function innerWidth(config: T5Config): number {
  return config.num_heads * config.d_kv;
}
