/** Shared helpers of the model tests: fixture location, tiny configs and batches. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { parseT5Config, type T5Config, type T5Batch } from "../../src/models/index.js";

function findRepoRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(folder, "package.json"))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error("package.json not found above the test folder.");
    folder = parent;
  }
  return folder;
}

export const repoRoot = findRepoRoot();
export const fixturesRoot = process.env.HYPERTUNE_FIXTURES ?? path.resolve(repoRoot, "../shared/fixtures");
export const goldenFolder = path.join(fixturesRoot, "t5-golden");
export const haveGolden = fs.existsSync(path.join(goldenFolder, "golden.json"));

/** A T5 small enough for finite differences and thousands of steps; inner width (3·4) differs from d_model. */
export function tinyConfig(overrides: Partial<T5Config> = {}): T5Config {
  return parseT5Config(
    {
      vocab_size: 24,
      d_model: 8,
      d_kv: 4,
      num_heads: 3,
      d_ff: 12,
      num_layers: 2,
      num_decoder_layers: 2,
      relative_attention_num_buckets: 8,
      relative_attention_max_distance: 16,
      dropout_rate: 0,
      ...overrides,
    },
    "tiny test config",
  );
}

/** A batch with padding in both inputs and labels. */
export function tinyBatch(config: T5Config): T5Batch {
  const v = config.vocab_size;
  return {
    inputIds: tf.tensor2d([[5, 7 % v, 9 % v, 1, 0], [3, 11 % v, 1, 0, 0], [4, 6, 8 % v, 10 % v, 1]], undefined, "int32"),
    attentionMask: tf.tensor2d([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], undefined, "int32"),
    labels: tf.tensor2d([[6, 2, 1], [9 % v, 1, -100], [3, 1, -100]], undefined, "int32"),
  };
}

export function disposeBatch(batch: T5Batch): void {
  tf.dispose([batch.inputIds, batch.attentionMask, batch.labels ?? [], batch.decoderInputIds ?? []].flat());
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
