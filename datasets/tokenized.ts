/**
 * On-disk format of tokenized data, written by the `tokenize` stage and read by training and evaluation:
 *
 *   tokenizer.json            Hugging Face tokenizer (T5 conventions plus `<x>` and `<y>`)
 *   tokenizer-info.json       `TokenizerInfo`: vocabulary size and special-token ids
 *   tokenized.json            `TokenizedManifest`: the folder's contents
 *   corpus.tokens.bin         Int32 little-endian token ids of every corpus document, concatenated, no `</s>`
 *   corpus.offsets.bin        Int32 little-endian start offsets into the tokens, one per document plus the end
 *   collections/<folder>/collection.json     the `CollectionIndex` of the normalized collection
 *   collections/<folder>/tasks/<task>.json   a `TokenizedTask`
 *
 * Token id lists never contain `</s>`; the few-shot helpers add it where a model sequence ends.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readCollectionIndex } from "./collection-files.js";
import { joinInside } from "./safe-names.js";
import { TextTokenizer, type TokenizerInfo } from "./tokenizer.js";
import type { CollectionFamily, CollectionIndex } from "./types.js";

export const tokenizedFormatVersion = 1;

export interface TokenizedExample {
  input: number[];
  target: number[];
  /** Token ids of each answer choice, for rank classification. */
  choices?: number[][];
  /** Position of the target among `choices`. */
  answerIndex?: number;
  /** Every acceptable output as text, for ROUGE-L and exact match. */
  references: string[];
}

export interface TokenizedTask {
  name: string;
  /** S-NI task definition. */
  definition?: number[];
  /** S-NI positive examples, for the Def+2Pos setting. */
  positives?: { input: number[]; output: number[] }[];
  train: TokenizedExample[];
  test: TokenizedExample[];
}

export interface TokenizedManifest {
  formatVersion: number;
  tokenizer: TokenizerInfo;
  corpus: { documents: number; tokens: number } | null;
  /** Collections by name; `folder` is relative to the tokenized folder. */
  collections: { name: string; family: CollectionFamily; folder: string; tasks: number }[];
}

/**
 * Writes corpus token ids document by document (each without `</s>`), so a corpus larger than memory (many C4
 * shards) streams to disk. Call `finish` to write the offsets.
 */
export class TokenizedCorpusWriter {
  readonly #tokensFile: number;
  readonly #offsets: number[] = [0];
  #total = 0;
  /** Ids waiting to be written; flushed in blocks of about a million ids to keep system calls few. */
  #pending: Int32Array[] = [];
  #pendingLength = 0;

  constructor(readonly folder: string) {
    this.#tokensFile = fs.openSync(path.join(folder, "corpus.tokens.bin"), "w");
  }

  append(document: ArrayLike<number>): void {
    this.#total += document.length;
    if (this.#total > 0x7fffffff) throw new Error("corpus has more than 2^31 tokens; the Int32 offsets cannot hold it");
    this.#pending.push(Int32Array.from(document));
    this.#pendingLength += document.length;
    this.#offsets.push(this.#total);
    if (this.#pendingLength >= 1 << 20) this.#flush();
  }

  #flush(): void {
    const block = new Int32Array(this.#pendingLength);
    let position = 0;
    for (const chunk of this.#pending) {
      block.set(chunk, position);
      position += chunk.length;
    }
    fs.writeSync(this.#tokensFile, toLittleEndianBytes(block));
    this.#pending = [];
    this.#pendingLength = 0;
  }

  finish(): { documents: number; tokens: number } {
    this.#flush();
    fs.closeSync(this.#tokensFile);
    fs.writeFileSync(path.join(this.folder, "corpus.offsets.bin"), toLittleEndianBytes(Int32Array.from(this.#offsets)));
    return { documents: this.#offsets.length - 1, tokens: this.#total };
  }
}

/** Writes the corpus token ids of `documents` (each without `</s>`) as the two binary files. */
export function writeTokenizedCorpus(folder: string, documents: Iterable<ArrayLike<number>>): { documents: number; tokens: number } {
  const writer = new TokenizedCorpusWriter(folder);
  for (const document of documents) writer.append(document);
  return writer.finish();
}

const littleEndianHost = os.endianness() === "LE";

function toLittleEndianBytes(values: Int32Array): Buffer {
  if (littleEndianHost) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const buffer = Buffer.alloc(values.length * 4);
  for (let index = 0; index < values.length; index++) buffer.writeInt32LE(values[index]!, index * 4);
  return buffer;
}

function readInt32File(file: string): Int32Array {
  const bytes = fs.readFileSync(file);
  if (bytes.length % 4 !== 0) throw new Error(`${file}: size ${bytes.length} is not a multiple of 4 bytes`);
  if (littleEndianHost && bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  if (littleEndianHost) {
    // A small file may sit unaligned in Node's shared buffer pool, so it is copied.
    const values = new Int32Array(bytes.length / 4);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  const values = new Int32Array(bytes.length / 4);
  for (let index = 0; index < values.length; index++) values[index] = bytes.readInt32LE(index * 4);
  return values;
}

/** The tokenized corpus: all documents' ids in one array, sliced by `offsets`. */
export class TokenizedCorpus {
  constructor(
    readonly tokens: Int32Array,
    readonly offsets: Int32Array,
  ) {}

  get documentCount(): number {
    return this.offsets.length - 1;
  }

  /** Token ids of document `index` (a view, not a copy). */
  document(index: number): Int32Array {
    if (index < 0 || index >= this.documentCount) throw new RangeError(`document ${index} is out of range`);
    return this.tokens.subarray(this.offsets[index]!, this.offsets[index + 1]!);
  }
}

/** A tokenized collection: its index and lazily loaded tasks. */
export class TokenizedCollection {
  readonly #cache = new Map<string, TokenizedTask>();

  constructor(
    readonly folder: string,
    readonly index: CollectionIndex,
  ) {}

  get name(): string {
    return this.index.name;
  }

  get family(): CollectionFamily {
    return this.index.family;
  }

  /** Names of the tasks with the given role, in index order. */
  taskNames(role?: "train" | "heldout"): string[] {
    return this.index.tasks.filter((task) => role === undefined || task.role === role).map((task) => task.name);
  }

  task(name: string): TokenizedTask {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    if (!this.index.tasks.some((task) => task.name === name)) {
      throw new Error(`collection ${this.index.name} has no task ${JSON.stringify(name)}`);
    }
    const file = joinInside(path.join(this.folder, "tasks"), `${name}.json`);
    const task = JSON.parse(fs.readFileSync(file, "utf8")) as TokenizedTask;
    this.#cache.set(name, task);
    return task;
  }
}

/** A folder written by the `tokenize` stage. */
export class TokenizedDataset {
  readonly manifest: TokenizedManifest;

  constructor(readonly folder: string) {
    const file = path.join(folder, "tokenized.json");
    this.manifest = JSON.parse(fs.readFileSync(file, "utf8")) as TokenizedManifest;
    if (this.manifest.formatVersion !== tokenizedFormatVersion) {
      throw new Error(`${file}: format version ${this.manifest.formatVersion}, expected ${tokenizedFormatVersion}`);
    }
  }

  get tokenizerInfo(): TokenizerInfo {
    return this.manifest.tokenizer;
  }

  /** Loads the tokenizer (for decoding generations). */
  tokenizer(): TextTokenizer {
    return TextTokenizer.fromFolder(this.folder);
  }

  /**
   * Loads the corpus; throws if the folder has none.
   * NOTE: the ids are read into memory whole, and Node reads at most 2 GiB per file (about 500 million tokens).
   */
  corpus(): TokenizedCorpus {
    if (this.manifest.corpus === null) throw new Error(`${this.folder} contains no tokenized corpus`);
    return new TokenizedCorpus(
      readInt32File(path.join(this.folder, "corpus.tokens.bin")),
      readInt32File(path.join(this.folder, "corpus.offsets.bin")),
    );
  }

  collectionNames(): string[] {
    return this.manifest.collections.map((collection) => collection.name);
  }

  collection(name: string): TokenizedCollection {
    const entry = this.manifest.collections.find((collection) => collection.name === name);
    if (!entry) {
      throw new Error(`${this.folder} has no collection ${JSON.stringify(name)}; it has ${this.collectionNames().join(", ")}`);
    }
    const folder = joinInside(this.folder, entry.folder);
    return new TokenizedCollection(folder, readCollectionIndex(folder));
  }
}

/** Opens a tokenized folder (the published output of a `tokenize` stage). */
export function openTokenizedDataset(folder: string): TokenizedDataset {
  return new TokenizedDataset(folder);
}
