/** Token ids the objectives insert, and the sampling of training windows from a tokenized corpus. */

/** Ids of the special tokens the objectives need, taken from the tokenizer. */
export interface SpecialTokenIds {
  pad: number;
  eos: number;
  /** Id of T5 sentinel `<extra_id_{index}>` (the last vocabulary entries, counting down). */
  sentinel(index: number): number;
  /** `<x>`: marks a few-shot input (HyperTuning, Phang et al. 2022, appendix A.1). */
  fewShotInput: number;
  /** `<y>`: marks a few-shot target. */
  fewShotOutput: number;
}

/** A generator of floats in [0, 1). */
export type Random = () => number;

/** One training pair of token ids, before padding; `input` and `target` each end with EOS. */
export interface Seq2SeqExample {
  input: number[];
  target: number[];
}

export function randomInt(random: Random, bound: number): number {
  return Math.floor(random() * bound);
}

/** A tokenized document: an array or typed array of token ids. */
export interface TokenSequence {
  readonly length: number;
  slice(start: number, end: number): ArrayLike<number>;
}

/**
 * Draws windows of consecutive tokens from a corpus. A window lies inside one document when some document is long
 * enough (documents weighted by how many windows each offers), otherwise in the documents joined with EOS.
 */
export class CorpusWindows {
  readonly #documents: readonly TokenSequence[];
  readonly #eos: number;
  readonly #tables = new Map<number, { documents: TokenSequence[]; cumulative: number[] }>();
  #joined: number[] | undefined;

  constructor(documents: readonly TokenSequence[], eos: number) {
    this.#documents = documents;
    this.#eos = eos;
  }

  sample(length: number, random: Random): number[] {
    if (length <= 0) throw new RangeError(`Window length must be positive, got ${length}.`);
    const table = this.#table(length);
    const total = table.cumulative.at(-1) ?? 0;
    if (total > 0) {
      const draw = randomInt(random, total);
      let low = 0;
      let high = table.cumulative.length - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (draw < table.cumulative[middle]!) high = middle;
        else low = middle + 1;
      }
      const start = draw - (low === 0 ? 0 : table.cumulative[low - 1]!);
      return Array.from(table.documents[low]!.slice(start, start + length));
    }
    this.#joined ??= this.#documents.flatMap((document) => [...Array.from(document.slice(0, document.length)), this.#eos]);
    if (this.#joined.length < length) {
      throw new Error(`The corpus has ${this.#joined.length} tokens in all, fewer than one window of ${length}; use a larger corpus or shorter sequences.`);
    }
    const start = randomInt(random, this.#joined.length - length + 1);
    return this.#joined.slice(start, start + length);
  }

  #table(length: number): { documents: TokenSequence[]; cumulative: number[] } {
    let table = this.#tables.get(length);
    if (table === undefined) {
      const documents = this.#documents.filter((document) => document.length >= length);
      const cumulative: number[] = [];
      let total = 0;
      for (const document of documents) {
        total += document.length - length + 1;
        cumulative.push(total);
      }
      table = { documents, cumulative };
      this.#tables.set(length, table);
    }
    return table;
  }
}
