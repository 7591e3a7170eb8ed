/** A seeded generator for weight initialization, so that a config and a seed give the same model on every backend. */

/** Returns a function drawing uniform numbers in [0, 1) (mulberry32). */
export function uniformGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` draws from N(0, std²) (Box-Muller). */
export function normalValues(next: () => number, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    out[i] = radius * Math.cos(angle) * std;
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle) * std;
  }
  return out;
}

/** `count` draws from U(-bound, bound). */
export function uniformValues(next: () => number, count: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * next() - 1) * bound;
  return out;
}

/** Derives an independent seed for a named part from a base seed (FNV-1a over the name). */
export function childSeed(seed: number, name: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A dropout mask: each value is 0 with probability `rate`, else 1 / (1 - rate). Drawn with xorshift32 in plain
 * JS, because tfjs's randomUniform (seedrandom) costs hundreds of nanoseconds per value.
 */
export function dropoutMask(seed: number, count: number, rate: number): Float32Array {
  const out = new Float32Array(count);
  const keep = 1 / (1 - rate);
  const threshold = Math.floor(rate * 4294967296);
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state >= threshold ? keep : 0;
  }
  return out;
}
