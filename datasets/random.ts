/**
 * Seeded pseudo-random numbers. Every sampling decision in the datasets (task contents, few-shot sets) draws from
 * a generator derived from a numeric seed plus string labels, so the same seed gives the same data on every
 * machine and in every process.
 */

/** A generator of floats in [0, 1). */
export type Random = () => number;

/** FNV-1a hash of `text`, used to turn labels into seed material. */
function hashString(text: string, state: number): number {
  let hash = state >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Creates a generator (mulberry32) from `seed` and any number of labels, e.g. `seededRandom(7, "few-shot", task)`. */
export function seededRandom(seed: number, ...labels: (string | number)[]): Random {
  let state = hashString(String(seed), 0x811c9dc5);
  for (const label of labels) {
    state = hashString("\u0000" + String(label), state);
  }
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns an integer in [0, bound). */
export function randomInt(random: Random, bound: number): number {
  return Math.floor(random() * bound);
}

/** Shuffles a copy of `items` (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const copy = items.slice();
  for (let index = copy.length - 1; index > 0; index--) {
    const other = randomInt(random, index + 1);
    const swap = copy[index]!;
    copy[index] = copy[other]!;
    copy[other] = swap;
  }
  return copy;
}

/** Picks one element of a non-empty array. */
export function pick<T>(items: readonly T[], random: Random): T {
  if (items.length === 0) throw new Error("cannot pick from an empty list");
  return items[randomInt(random, items.length)]!;
}

/**
 * Draws `count` distinct integers from [0, bound) without `excluded`, in draw order. Returns fewer when the range
 * has fewer candidates.
 */
export function sampleIndices(random: Random, bound: number, count: number, excluded?: number): number[] {
  const available = excluded !== undefined && excluded >= 0 && excluded < bound ? bound - 1 : bound;
  const wanted = Math.min(count, available);
  // A partial Fisher-Yates over a sparse map keeps this O(count) even for large training splits.
  const swaps = new Map<number, number>();
  const result: number[] = [];
  let size = bound;
  while (result.length < wanted) {
    const position = randomInt(random, size);
    const value = swaps.get(position) ?? position;
    size -= 1;
    swaps.set(position, swaps.get(size) ?? size);
    if (value !== excluded) result.push(value);
  }
  return result;
}
