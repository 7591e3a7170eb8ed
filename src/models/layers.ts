/**
 * The building blocks of T5 v1.1 (Hugging Face `T5ForConditionalGeneration` semantics), written so that every
 * product is a plain matMul the wasm backend can hand to XNNPACK.
 */
import * as tf from "@tensorflow/tfjs";

/** Large negative score for blocked attention entries, whose exp() is exactly 0 in float32. */
export const blockedScore = -1e9;

/** RMS layer norm: `w * x / sqrt(mean(x²) + eps)`, no mean subtraction, no bias. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, epsilon: number): tf.Tensor {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, epsilon))), weight);
}

/** `x Wᵀ` for a weight of shape (out, in) and an input of any rank whose last axis is `in`. */
export function linear(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
  const inFeatures = x.shape[x.shape.length - 1] as number;
  const outFeatures = weight.shape[0] as number;
  const rows = tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D;
  const out = tf.matMul(rows, weight as tf.Tensor2D, false, true);
  return tf.reshape(out, [...x.shape.slice(0, -1), outFeatures]);
}

/** Linear layer with a bias, for a weight of shape (out, in). */
export function linearWithBias(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return tf.add(linear(x, weight), bias);
}

/**
 * A LoRA-adapted projection `x Wᵀ + scale (x Aᵀ) Bᵀ` without forming W + BA. A of shape (r, in) and B of shape
 * (out, r) are shared by the batch, while (batch, r, in) and (batch, out, r) give every row its own adapter.
 */
export function loraLinear(x: tf.Tensor, weight: tf.Tensor, a: tf.Tensor | undefined, b: tf.Tensor | undefined, scale: number): tf.Tensor {
  const base = linear(x, weight);
  if (a === undefined || b === undefined) return base;
  if (a.rank === 2 && b.rank === 2) return tf.add(base, tf.mul(linear(linear(x, a), b), scale));
  const rows = tf.reshape(x, [x.shape[0] as number, -1, x.shape[x.shape.length - 1] as number]) as tf.Tensor3D;
  const down = tf.matMul(rows, a as tf.Tensor3D, false, true);
  const up = tf.matMul(down, b as tf.Tensor3D, false, true);
  return tf.add(base, tf.mul(tf.reshape(up, base.shape), scale));
}

/** gelu_new (the tanh approximation) written as `x·sigmoid(2u)`: the same function, and Sigmoid is a fast kernel. */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI));
  return tf.mul(x, tf.sigmoid(inner));
}

/** Hugging Face's relative-position bucket for `relative = key - query`, with its float32 logarithm. */
export function relativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let buckets = numBuckets;
  let base = 0;
  let distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) base = buckets;
    distance = Math.abs(relative);
  } else {
    distance = Math.max(-relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return base + distance;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(f(distance) / maxExact))) / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact));
  return base + Math.min(buckets - 1, maxExact + Math.trunc(scaled));
}

/** The bucket of every (query, key) pair, row-major, as int32. */
export function bucketMatrix(queryLength: number, keyLength: number, bidirectional: boolean, numBuckets: number, maxDistance: number): Int32Array {
  const out = new Int32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) {
    for (let j = 0; j < keyLength; j++) out[i * keyLength + j] = relativePositionBucket(j - i, bidirectional, numBuckets, maxDistance);
  }
  return out;
}

/** Position bias of shape (1, heads, query, key) from a (buckets, heads) table. */
export function positionBias(table: tf.Tensor, queryLength: number, keyLength: number, bidirectional: boolean, maxDistance: number): tf.Tensor {
  const [numBuckets, heads] = table.shape as [number, number];
  const buckets = tf.tensor1d(bucketMatrix(queryLength, keyLength, bidirectional, numBuckets, maxDistance), "int32");
  const gathered = tf.reshape(tf.gather(table, buckets), [queryLength, keyLength, heads]);
  return tf.expandDims(tf.transpose(gathered, [2, 0, 1]), 0);
}

/** Additive mask (batch, 1, 1, keys) blocking keys whose attention mask is 0. */
export function paddingMask(attentionMask: tf.Tensor): tf.Tensor {
  const [batch, keys] = attentionMask.shape as [number, number];
  return tf.reshape(tf.mul(tf.sub(1, tf.cast(attentionMask, "float32")), blockedScore), [batch, 1, 1, keys]);
}

/** Additive causal mask (1, 1, length, length): key j is visible to query i when j <= i. */
export function causalMask(length: number): tf.Tensor {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = blockedScore;
  return tf.tensor4d(values, [1, 1, length, length]);
}

/** Prepends `prefixLength` always-visible, bias-free columns to an additive bias of shape (b, heads, query, key). */
export function withPrefixColumns(bias: tf.Tensor, prefixLength: number): tf.Tensor {
  if (prefixLength === 0) return bias;
  const [b, heads, queries] = bias.shape as [number, number, number, number];
  return tf.concat([tf.zeros([b, heads, queries, prefixLength]), bias], 3);
}

/** Splits (batch, length, heads·d_kv) into (batch, heads, length, d_kv). */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [batch, length, inner] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [batch, length, heads, inner / heads]), [0, 2, 1, 3]);
}

/** Inverse of `splitHeads`. */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [batch, heads, length, dkv] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, length, heads * dkv]);
}

/** Broadcasts a shared (P, width) prefix, or checks a per-example (batch, P, width) one, to (batch, P, width). */
export function prefixForBatch(prefix: tf.Tensor, batch: number): tf.Tensor {
  if (prefix.rank === 2) {
    const [length, width] = prefix.shape as [number, number];
    return tf.broadcastTo(tf.reshape(prefix, [1, length, width]), [batch, length, width]);
  }
  if (prefix.shape[0] === batch) return prefix;
  if (prefix.shape[0] === 1) return tf.broadcastTo(prefix, [batch, prefix.shape[1] as number, prefix.shape[2] as number]);
  throw new Error(`A prefix of shape [${prefix.shape}] does not fit a batch of ${batch} rows.`);
}

/**
 * Summed cross-entropy of `logits` (rows, vocab) against `targets` (rows) weighted by `weights` (rows, 0 for
 * ignored positions). The forward pass goes through Softmax and the gradient is `(p - onehot)·w`: on wasm,
 * Softmax is far faster than the Exp and Log of a log-softmax over a large vocabulary.
 * NOTE: the value clamps a probability below 1e-30 (its gradient is exact), so scoring uses `logSoftmax` instead.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [rows, vocab] = logits.shape;
  const compute = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const probabilities = tf.softmax(input as tf.Tensor2D);
    const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, "int32"), tf.scalar(vocab, "int32")), targets);
    const picked = tf.gather(tf.reshape(probabilities, [-1]), flatIndex);
    const value = tf.sum(tf.mul(tf.neg(tf.log(tf.maximum(picked, 1e-30))), weights));
    // Tensors captured from outside would be freed after the forward pass, but saved ones live until the backward pass.
    save([probabilities, targets, weights]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedProbabilities, savedTargets, savedWeights] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor];
        // tfjs-backend-wasm's OneHot ignores a float32 dtype, so this builds it as int32 and casts.
        const oneHot = tf.cast(tf.oneHot(savedTargets, vocab), "float32");
        const scale = tf.mul(tf.reshape(savedWeights, [rows, 1]), dy);
        return [tf.mul(tf.sub(savedProbabilities, oneHot), scale)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return compute(logits) as tf.Scalar;
}
