/**
 * Public API of the datasets package, used by the experiment stages.
 *
 * Stage outputs (see `stages/download.ts` and `stages/tokenize.ts`):
 * - `download` writes `collections/<folder>/{collection.json,tasks/<task>.jsonl}` (normalized, `types.ts`) and
 *   `corpus.jsonl` (one `{"text": …}` per document). Find collections with `listCollections(outputDir + "/collections")`.
 * - `tokenize` writes the tokenized layout described in `tokenized.ts`; open it with `openTokenizedDataset(folder)`.
 */

// Normalized data: types, schemas, reading and writing collection folders.
export type { CollectionFamily, CollectionIndex, Example, TaskInfo, TaskMetric } from "./types.js";
/** Read a collection's index / a task's examples; list collections below a folder; write a collection. */
export { readCollectionIndex, readTaskExamples, listCollections, writeCollection } from "./collection-files.js";
export type { CollectionData, CollectionLocation, TaskData } from "./collection-files.js";
/** JSON schemas (ajv) of examples and collection indexes, with asserting validators. */
export { exampleSchema, collectionIndexSchema, assertExample, assertCollectionIndex } from "./schema.js";

// Tokenizers in T5 conventions (pad 0, eos 1, unk 2, 100 sentinels) plus `<x>`/`<y>`.
/** `TextTokenizer.encode(text)` gives ids without `</s>`; `decode(ids)` skips special tokens by default. */
export { TextTokenizer, loadT5Tokenizer, trainUnigramTokenizer, describeTokenizer, withFewShotMarkers } from "./tokenizer.js";
/** Convert a SentencePiece `spiece.model` into T5's `tokenizer.json` layout. */
export { parseSentencePieceModel, t5TokenizerJsonFromSentencePiece } from "./sentencepiece.js";
export type { TokenizerInfo, TokenizerJson, UnigramTrainingOptions } from "./tokenizer.js";

// Tokenized data written by the `tokenize` stage.
/** `openTokenizedDataset(folder)` → `.tokenizerInfo`, `.tokenizer()`, `.corpus()`, `.collection(name).task(task)`. */
export { openTokenizedDataset, TokenizedDataset, TokenizedCollection, TokenizedCorpus } from "./tokenized.js";
export type { TokenizedExample, TokenizedTask, TokenizedManifest } from "./tokenized.js";

// Few-shot sampling and formatting in token ids (appendix A.1 of HyperTuning, Phang et al. 2022).
/**
 * `hypermodelInputIds` (few-shot examples or S-NI definition), `downstreamInputIds` (T5-MTF and the downstream T5),
 * `fewShotModelInputIds` (T5-MTF-Few-shot), `targetIds`, `choiceTargetIds` (rank classification),
 * `sampleFewShotIndices` (seeded, never the target). Model inputs and targets end with `</s>` and respect `SequenceLengths`.
 */
export {
  paperSequenceLengths,
  maxFewShotExamples,
  sampleFewShotIndices,
  formatFewShotIds,
  conditioningIds,
  hypermodelInputIds,
  downstreamInputIds,
  fewShotModelInputIds,
  targetIds,
  choiceTargetIds,
  exampleAt,
  withEos,
} from "./few-shot.js";
export type { SequenceLengths, SpecialIds, Conditioning, ExampleRef } from "./few-shot.js";

/** Seeded random numbers shared by every sampling decision. */
export { seededRandom, shuffled, sampleIndices } from "./random.js";
export type { Random } from "./random.js";

// The embedded offline suite (real data from npm packages) and the corpus file.
/** `buildEmbeddedSuite(seed, sizes)` → `{ collections, corpus }`; put `embeddedSuiteVersion` in the download params. */
export { buildEmbeddedSuite, embeddedSuiteSizes, embeddedSuiteVersion } from "./embedded/suite.js";
export type { EmbeddedSuite, EmbeddedSuiteSizes } from "./embedded/suite.js";
/** Write / read `corpus.jsonl` (one `{"text": …}` per document). */
export { writeCorpus, readCorpus } from "./corpus-files.js";
