/**
 * Stage kind `tokenize`: reads every upstream `download` output (its `collections/` and `corpus.jsonl`) and writes
 * the tokenized layout of `datasets/tokenized.ts`.
 *
 * Params:
 * - `{ tokenizer: "unigram", vocabSize, trainingCharacters? }`: trains a Unigram tokenizer on the collections'
 *   training texts and the corpus (at most `trainingCharacters`, default 1,000,000), in T5 conventions.
 * - `{ tokenizer: "t5" }`: T5's own `tokenizer.json`, taken from an upstream output that has
 *   `tokenizer/tokenizer.json` (the `download` source `t5-tokenizer`).
 * - optional `maxCorpusDocuments`: tokenize at most this many corpus documents (in file order).
 * - optional `p3MaxMeanInputTokens`: drop P3 training tasks whose mean input length exceeds this many tokens
 *   (HyperTuning, Phang et al. 2022, section 5.2, uses 320).
 */
import fs from "node:fs";
import path from "node:path";
import type { StageContext, StageKind, StageSummary } from "../src/engine/stage.js";
import { listCollections, type CollectionLocation } from "../datasets/collection-files.js";
import { readCorpus } from "../datasets/corpus-files.js";
import { joinInside } from "../datasets/safe-names.js";
import { MemoizedEncoder, tokenizeCollection, trainingTexts } from "../datasets/tokenize-collections.js";
import { loadT5Tokenizer, trainUnigramTokenizer, type TextTokenizer } from "../datasets/tokenizer.js";
import { TokenizedCorpusWriter, tokenizedFormatVersion, type TokenizedManifest } from "../datasets/tokenized.js";

interface Sources {
  collections: CollectionLocation[];
  corpusFiles: string[];
  tokenizerFiles: string[];
}

function findSources(inputs: StageContext["inputs"]): Sources {
  const sources: Sources = { collections: [], corpusFiles: [], tokenizerFiles: [] };
  for (const stageId of Object.keys(inputs).sort()) {
    const folder = inputs[stageId]!;
    sources.collections.push(...listCollections(path.join(folder, "collections")));
    if (fs.existsSync(path.join(folder, "corpus.jsonl"))) sources.corpusFiles.push(path.join(folder, "corpus.jsonl"));
    if (fs.existsSync(path.join(folder, "tokenizer", "tokenizer.json"))) sources.tokenizerFiles.push(path.join(folder, "tokenizer", "tokenizer.json"));
  }
  const names = new Set<string>();
  for (const collection of sources.collections) {
    if (names.has(collection.name)) throw new Error(`tokenize: two upstream stages both provide collection ${collection.name}`);
    names.add(collection.name);
  }
  return sources;
}

/** Yields the documents of every corpus file in order, at most `limit` in total. */
async function* readCorpora(files: string[], limit: number): AsyncGenerator<string> {
  let count = 0;
  for (const file of files) {
    for await (const text of readCorpus(file)) {
      if (count >= limit) return;
      count++;
      yield text;
    }
  }
}

/** Reads corpus documents until they hold `maxCharacters` characters (the text a tokenizer is trained on). */
async function readCorpusPrefix(files: string[], limit: number, maxCharacters: number): Promise<string[]> {
  const documents: string[] = [];
  let characters = 0;
  for await (const text of readCorpora(files, limit)) {
    if (characters >= maxCharacters) break;
    documents.push(text);
    characters += text.length;
  }
  return documents;
}

/**
 * Training text for the Unigram tokenizer: the collections' training texts (deduplicated, since collections share
 * tasks), then corpus sentences, up to `maxCharacters`. The Unigram trainer's time grows faster than linearly with
 * its input (about 25 s for the 2.7 MB default corpus on 2 cores), and a small vocabulary needs far less text.
 */
function unigramTrainingTexts(corpus: string[], collections: CollectionLocation[], maxCharacters: number): string[] {
  const texts = new Set<string>();
  let characters = 0;
  const add = (text: string): boolean => {
    if (characters >= maxCharacters) return false;
    if (!texts.has(text)) {
      texts.add(text);
      characters += text.length;
    }
    return true;
  };
  for (const collection of collections) {
    for (const text of trainingTexts(collection.folder)) if (!add(text)) return [...texts];
  }
  for (const document of corpus) {
    for (const sentence of document.split(/(?<=[.!?])\s+/)) if (!add(sentence)) return [...texts];
  }
  return [...texts];
}

async function makeTokenizer(context: StageContext, sources: Sources, corpusLimit: number): Promise<TextTokenizer> {
  const params = context.stage.params;
  if (params.tokenizer === "t5") {
    const file = sources.tokenizerFiles[0];
    if (file === undefined) throw new Error("tokenize: tokenizer t5 needs an upstream download of source t5-tokenizer");
    return loadT5Tokenizer(file);
  }
  if (params.tokenizer === "unigram") {
    const vocabSize = params.vocabSize;
    if (typeof vocabSize !== "number") throw new Error(`tokenize: vocabSize ${JSON.stringify(vocabSize)} is invalid: expected an integer`);
    const maxCharacters = params.trainingCharacters ?? 1_000_000;
    if (typeof maxCharacters !== "number") throw new Error(`tokenize: trainingCharacters ${JSON.stringify(maxCharacters)} is invalid: expected an integer`);
    const corpus = await readCorpusPrefix(sources.corpusFiles, corpusLimit, maxCharacters);
    const texts = unigramTrainingTexts(corpus, sources.collections, maxCharacters);
    return trainUnigramTokenizer(texts, { vocabSize, workDir: context.workDir });
  }
  throw new Error(`tokenize: tokenizer ${JSON.stringify(params.tokenizer)} is invalid: expected "t5" or "unigram"`);
}

const tokenizeStage: StageKind = {
  async run(context: StageContext): Promise<StageSummary> {
    const params = context.stage.params;
    const sources = findSources(context.inputs);
    const limit = params.maxCorpusDocuments ?? Number.MAX_SAFE_INTEGER;
    if (typeof limit !== "number") throw new Error(`tokenize: maxCorpusDocuments ${JSON.stringify(limit)} is invalid`);

    const started = Date.now();
    const tokenizer = await makeTokenizer(context, sources, limit);
    fs.mkdirSync(context.outputDir, { recursive: true });
    tokenizer.save(context.outputDir);
    context.emit({ type: "log", level: "info", message: `tokenizer ready (${tokenizer.info.vocabSize} ids) in ${Date.now() - started} ms` });

    const encoder = new MemoizedEncoder(tokenizer);
    const manifest: TokenizedManifest = { formatVersion: tokenizedFormatVersion, tokenizer: tokenizer.info, corpus: null, collections: [] };
    const total = sources.collections.length + 1;
    sources.collections.forEach((collection, position) => {
      if (context.signal.aborted) throw new Error("tokenize: stopped");
      const folder = joinInside(path.join(context.outputDir, "collections"), collection.name);
      const maxMean = collection.family === "p3" ? params.p3MaxMeanInputTokens : undefined;
      if (maxMean !== undefined && typeof maxMean !== "number") throw new Error(`tokenize: p3MaxMeanInputTokens ${JSON.stringify(maxMean)} is invalid`);
      const { index, dropped } = tokenizeCollection(collection.folder, folder, encoder, { maxMeanTrainingInputTokens: maxMean });
      if (dropped.length > 0) {
        context.emit({ type: "log", level: "info", message: `${index.name}: dropped ${dropped.length} training tasks longer than ${maxMean} tokens on average: ${dropped.join(", ")}` });
      }
      manifest.collections.push({
        name: index.name,
        family: index.family,
        folder: path.relative(context.outputDir, folder).split(path.sep).join("/"),
        tasks: index.tasks.length,
      });
      context.emit({ type: "progress", step: position + 1, total, phase: `collection ${index.name}` });
    });

    if (sources.corpusFiles.length > 0) {
      const corpusStarted = Date.now();
      const writer = new TokenizedCorpusWriter(context.outputDir);
      for await (const text of readCorpora(sources.corpusFiles, limit)) {
        if (context.signal.aborted) throw new Error("tokenize: stopped");
        writer.append(tokenizer.encode(text));
      }
      manifest.corpus = writer.finish();
      const seconds = Math.max((Date.now() - corpusStarted) / 1000, 1e-3);
      context.emit({ type: "progress", step: total, total, phase: "corpus", throughput: manifest.corpus.tokens / seconds, unit: "tokens/s" });
    }
    fs.writeFileSync(path.join(context.outputDir, "tokenized.json"), JSON.stringify(manifest, null, 2) + "\n");
    return {
      tokenizer: tokenizer.info.kind,
      vocabSize: tokenizer.info.vocabSize,
      collections: manifest.collections.map((collection) => collection.name),
      corpusDocuments: manifest.corpus?.documents ?? 0,
      corpusTokens: manifest.corpus?.tokens ?? 0,
    };
  },
};

export default tokenizeStage;
