/**
 * Tokenizers in T5's conventions: pad 0, eos `</s>` 1, unk 2, 100 sentinels `<extra_id_N>`, plus the few-shot
 * markers `<x>` and `<y>` (HyperTuning, Phang et al. 2022, appendix A.1). Both kinds are stored as a Hugging Face
 * `tokenizer.json` and encoded with @huggingface/tokenizers (pure JavaScript), so every process encodes alike.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Tokenizer as JsTokenizer } from "@huggingface/tokenizers";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** T5's post-processor: `</s>` (id 1) after each sequence, as in Hugging Face's T5 `tokenizer.json`. */
export const t5PostProcessor = {
  type: "TemplateProcessing",
  single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
  pair: [
    { Sequence: { id: "A", type_id: 0 } },
    { SpecialToken: { id: "</s>", type_id: 0 } },
    { Sequence: { id: "B", type_id: 0 } },
    { SpecialToken: { id: "</s>", type_id: 0 } },
  ],
  special_tokens: { "</s>": { id: "</s>", ids: [1], tokens: ["</s>"] } },
};

/** Special-token ids a model needs; stored next to tokenized data. */
export interface TokenizerInfo {
  /** `t5`: T5's own vocabulary; `unigram`: trained on the corpus by `trainUnigramTokenizer`. */
  kind: "t5" | "unigram";
  /** Embedding rows needed: highest token id + 1 (the T5 checkpoints pad their table further, to 32128). */
  vocabSize: number;
  padId: number;
  eosId: number;
  unkId: number;
  /** Id of `<x>`, which opens a few-shot input. */
  xId: number;
  /** Id of `<y>`, which opens a few-shot target. */
  yId: number;
  /** Ids of `<extra_id_0>` … `<extra_id_99>`, in that order (T5 span corruption sentinels). */
  sentinelIds: number[];
  /** T5 starts decoding from the pad id. */
  decoderStartId: number;
}

/** The serialized `tokenizer.json` object (Hugging Face tokenizers format). */
export type TokenizerJson = {
  added_tokens: AddedTokenJson[];
  model: { type: string; vocab?: [string, number][]; unk_id?: number | null };
  [key: string]: unknown;
};

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export const sentinelCount = 100;
export const fewShotInputMarker = "<x>";
export const fewShotTargetMarker = "<y>";

function addedToken(id: number, content: string): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** Adds `<x>` and `<y>` as special tokens after the highest id (no-op if present); returns a new object. */
export function withFewShotMarkers(json: TokenizerJson): TokenizerJson {
  const copy = structuredClone(json);
  let nextId = tokenizerSize(copy);
  for (const marker of [fewShotInputMarker, fewShotTargetMarker]) {
    if (copy.added_tokens.some((token) => token.content === marker)) continue;
    copy.added_tokens.push(addedToken(nextId, marker));
    nextId++;
  }
  return copy;
}

function tokenizerSize(json: TokenizerJson): number {
  const modelSize = json.model.vocab?.length ?? 0;
  const addedMax = json.added_tokens.reduce((max, token) => Math.max(max, token.id), -1);
  return Math.max(modelSize, addedMax + 1);
}

/** Reads the special-token ids of a T5-style tokenizer; throws naming the token that is missing. */
export function describeTokenizer(json: TokenizerJson, kind: TokenizerInfo["kind"]): TokenizerInfo {
  const ids = new Map<string, number>();
  json.model.vocab?.forEach(([piece], id) => ids.set(piece, id));
  for (const token of json.added_tokens) ids.set(token.content, token.id);
  const idOf = (token: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new Error(`tokenizer has no token ${token}; T5 conventions need it`);
    return id;
  };
  const sentinelIds = Array.from({ length: sentinelCount }, (_, index) => idOf(`<extra_id_${index}>`));
  return {
    kind,
    vocabSize: tokenizerSize(json),
    padId: idOf("<pad>"),
    eosId: idOf("</s>"),
    unkId: idOf("<unk>"),
    xId: idOf(fewShotInputMarker),
    yId: idOf(fewShotTargetMarker),
    sentinelIds,
    decoderStartId: idOf("<pad>"),
  };
}

/** Encodes text to ids without the trailing `</s>` (callers add it where a sequence ends) and decodes ids. */
export class TextTokenizer {
  readonly info: TokenizerInfo;
  readonly json: TokenizerJson;
  readonly #tokenizer: JsTokenizer;

  constructor(json: TokenizerJson, kind: TokenizerInfo["kind"]) {
    this.json = json;
    this.info = describeTokenizer(json, kind);
    this.#tokenizer = new JsTokenizer(json, {});
  }

  /** Loads a `tokenizer.json` written by `save` (the kind is read from `tokenizer-info.json` beside it). */
  static fromFolder(folder: string): TextTokenizer {
    const json = JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")) as TokenizerJson;
    const info = JSON.parse(fs.readFileSync(path.join(folder, "tokenizer-info.json"), "utf8")) as TokenizerInfo;
    return new TextTokenizer(json, info.kind);
  }

  encode(text: string): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.#tokenizer.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  /** Writes `tokenizer.json` and `tokenizer-info.json` into `folder`. */
  save(folder: string): void {
    fs.writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(this.json));
    fs.writeFileSync(path.join(folder, "tokenizer-info.json"), JSON.stringify(this.info, null, 2) + "\n");
  }
}

/** Loads T5's own `tokenizer.json` (e.g. from t5-v1_1) and adds `<x>` and `<y>`. */
export function loadT5Tokenizer(file: string): TextTokenizer {
  let json: TokenizerJson;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8")) as TokenizerJson;
  } catch (error) {
    throw new Error(`${file}: cannot read tokenizer: ${(error as Error).message}`);
  }
  if (json.model?.type !== "Unigram" || !Array.isArray(json.added_tokens)) {
    throw new Error(`${file}: not a T5 tokenizer.json (expected a Unigram model with added_tokens)`);
  }
  return new TextTokenizer(withFewShotMarkers(json), "t5");
}

export interface UnigramTrainingOptions {
  /**
   * Total ids including pad, eos, unk, the 100 sentinels, `<x>` and `<y>`. A maximum: when the trainer finds fewer
   * pieces in a small text, the vocabulary is smaller, and `TokenizerInfo.vocabSize` gives the real size.
   */
  vocabSize: number;
  /** Folder for the temporary training file. */
  workDir?: string;
}

/** Size of the vocabulary the `tokenizers` package trains when no trainer can be configured (its default). */
const rustTrainerVocabSize = 8000;

/**
 * Trains a SentencePiece-style Unigram tokenizer on `texts` with the Rust `tokenizers` package and lays it out in
 * T5's conventions. The Node binding trains with the default Unigram trainer (8,000 pieces, no special tokens), so
 * a smaller vocabulary is made by keeping every single-character piece and then the most probable pieces.
 */
export function trainUnigramTokenizer(texts: Iterable<string>, options: UnigramTrainingOptions): TextTokenizer {
  const reserved = 3 + sentinelCount + 2;
  const pieceBudget = options.vocabSize - reserved;
  if (!Number.isInteger(options.vocabSize) || pieceBudget < 64) {
    throw new Error(`vocabSize ${options.vocabSize} is invalid: it must be an integer of at least ${reserved + 64}`);
  }
  if (options.vocabSize > rustTrainerVocabSize + reserved) {
    throw new Error(`vocabSize ${options.vocabSize} is invalid: at most ${rustTrainerVocabSize + reserved} is supported`);
  }
  const folder = fs.mkdtempSync(path.join(options.workDir ?? os.tmpdir(), "unigram-"));
  try {
    const characterCounts = new Map<string, number>();
    const trainingFile = path.join(folder, "corpus.txt");
    const stream = fs.openSync(trainingFile, "w");
    for (const text of texts) {
      const line = normalizeWhitespace(text);
      if (line.length === 0) continue;
      fs.writeSync(stream, line + "\n");
      for (const character of line.normalize("NFKC")) characterCounts.set(character, (characterCounts.get(character) ?? 0) + 1);
    }
    fs.closeSync(stream);
    const trainedFile = path.join(folder, "trained.json");
    const trainer = trainerProcessFile();
    const result = spawnSync(process.execPath, [trainer, trainingFile, trainedFile], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`Unigram training failed (exit ${result.status ?? result.signal}): ${result.stderr.trim() || result.error?.message}`);
    }
    const trained = JSON.parse(fs.readFileSync(trainedFile, "utf8")) as TokenizerJson;
    const pieces = selectPieces(orderAppendedCharacters(trained.model.vocab ?? [], characterCounts), pieceBudget);
    return new TextTokenizer(buildT5StyleJson(pieces), "unigram");
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Finds the compiled trainer entry: beside this module in `dist/`, or in `dist/datasets/` when tests run the sources. */
function trainerProcessFile(): string {
  const sibling = fileURLToPath(new URL("./unigram-trainer-process.js", import.meta.url));
  if (fs.existsSync(sibling)) return sibling;
  const compiled = fileURLToPath(new URL("../dist/datasets/unigram-trainer-process.js", import.meta.url));
  if (fs.existsSync(compiled)) return compiled;
  throw new Error(`Unigram trainer entry not found at ${sibling} or ${compiled}; run npm run build`);
}

function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Orders strings by UTF-16 code units, independent of the locale. */
function compareCodeUnits(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/** Score step the `tokenizers` Unigram trainer puts between the characters it adds (`min_score_penalty_delta`). */
const appendedScoreStep = 0.0001;

/**
 * Makes the scores of the characters the trainer adds deterministic. The trainer gives every required character
 * that is not a trained piece a score near its lowest piece score, on a grid 0.0001 apart, in hash-set order, which
 * changes from run to run. This finds those characters (the largest set of low-scoring single characters on one
 * such grid) and hands the same scores out by descending frequency in the training text instead.
 */
function orderAppendedCharacters(vocab: [string, number][], counts: Map<string, number>): [string, number][] {
  const characters = vocab.filter(([piece]) => Array.from(piece).length === 1).sort((left, right) => left[1] - right[1]);
  let appended: [string, number][] = [];
  // The lowest character is normally on the grid, but a trained character can score lower, so a few bases are tried.
  for (const [, base] of characters.slice(0, 5)) {
    const onGrid = characters.filter(([, score]) => {
      const steps = (score - base) / appendedScoreStep;
      return steps > -0.5 && steps < characters.length && Math.abs(steps - Math.round(steps)) < 1e-4;
    });
    if (onGrid.length > appended.length) appended = onGrid;
  }
  if (appended.length < 2) return vocab;
  const scores = appended.map(([, score]) => score).sort((left, right) => right - left);
  const byFrequency = appended
    .map(([piece]) => piece)
    .sort((left, right) => (counts.get(right) ?? 0) - (counts.get(left) ?? 0) || compareCodeUnits(left, right));
  const reassigned = new Map(byFrequency.map((character, index) => [character, scores[index]!]));
  return vocab.map(([piece, score]): [string, number] => [piece, reassigned.get(piece) ?? score]);
}

function selectPieces(vocab: [string, number][], budget: number): [string, number][] {
  // The training file has one document per line; the newline is not text the model should see.
  // The trainer sums in parallel, so scores vary in their last bits between runs. Rounding them to float32, as
  // SentencePiece stores them, and breaking ties by the piece keeps the ids the same from run to run.
  const usable = vocab
    .filter(([piece]) => !/[\s\u0000]/.test(piece) && !/^<.*>$/.test(piece))
    .map(([piece, score]): [string, number] => [piece, Math.fround(score)]);
  const byScore = (left: [string, number], right: [string, number]): number =>
    right[1] - left[1] || compareCodeUnits(left[0], right[0]);
  const characters = usable.filter(([piece]) => Array.from(piece).length === 1).sort(byScore);
  const longer = usable.filter(([piece]) => Array.from(piece).length > 1).sort(byScore);
  return [...characters, ...longer].slice(0, budget);
}

function buildT5StyleJson(pieces: [string, number][]): TokenizerJson {
  const specials: [string, number][] = [
    ["<pad>", 0],
    ["</s>", 0],
    ["<unk>", 0],
  ];
  // T5 keeps the sentinels at the end of the vocabulary, `<extra_id_0>` last.
  const sentinels: [string, number][] = Array.from({ length: sentinelCount }, (_, index) => [
    `<extra_id_${sentinelCount - 1 - index}>`,
    0,
  ]);
  const vocab = [...specials, ...pieces, ...sentinels];
  const added = [
    ...specials.map(([content], id) => addedToken(id, content)),
    ...sentinels.map(([content], index) => addedToken(3 + pieces.length + index, content)),
  ];
  const metaspace = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true };
  const json: TokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFKC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Strip", strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: metaspace,
    post_processor: t5PostProcessor,
    decoder: metaspace,
    model: { type: "Unigram", unk_id: 2, vocab, byte_fallback: false } as TokenizerJson["model"],
  };
  return withFewShotMarkers(json);
}
