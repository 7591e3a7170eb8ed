/**
 * The embedded English corpus, for pretraining the small backbone and for hyperpretraining: WordNet glosses and
 * example sentences, country facts and emoji descriptions rendered as plain sentences, grouped into documents.
 */
import { seededRandom, shuffled } from "../random.js";
import { readCountries, readEmoji, type Country } from "./lexicons.js";
import { capitalize, withArticle } from "./tasks.js";
import { readWordNet, type Synset } from "./wordnet.js";

const partOfSpeechWords: Record<Synset["partOfSpeech"], string> = {
  noun: "noun",
  verb: "verb",
  adjective: "adjective",
  adverb: "adverb",
};

function describeSynset(synset: Synset): string {
  const word = synset.words[0]!;
  const head =
    synset.partOfSpeech === "noun"
      ? `${capitalize(withArticle(word))} is ${synset.definition}.`
      : `The ${partOfSpeechWords[synset.partOfSpeech]} "${word}" means ${synset.definition}.`;
  const synonyms = synset.words.slice(1, 4);
  const parts = [head];
  if (synonyms.length > 0) parts.push(`Other words for it are ${synonyms.join(", ")}.`);
  for (const example of synset.examples.slice(0, 2)) parts.push(`${capitalize(example)}${/[.!?]$/.test(example) ? "" : "."}`);
  return parts.join(" ");
}

function describeCountry(country: Country): string {
  const parts = [`${country.name} is a country in ${country.subregion}. Its capital is ${country.capital}.`];
  if (country.languages.length > 0) parts.push(`People there speak ${listWords(country.languages)}.`);
  if (country.currencies.length > 0) parts.push(`They pay with the ${country.currencies[0]}.`);
  parts.push(
    country.borders.length > 0 ? `${country.name} borders ${listWords(country.borders.slice(0, 6))}.` : `${country.name} has no land borders.`,
  );
  if (country.landlocked) parts.push(`It has no coast on the open sea.`);
  return parts.join(" ");
}

function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/**
 * Returns `documents` texts of about `documentCharacters` characters each, built from shuffled descriptions
 * (deterministic in `seed`). Descriptions are reused in a new order when the sources run out.
 */
export function buildEmbeddedCorpus(seed: number, documents: number, documentCharacters: number): string[] {
  const random = seededRandom(seed, "corpus");
  const descriptions = [
    ...readWordNet().filter((synset) => /^[a-z]/.test(synset.words[0]!)).map(describeSynset),
    ...readCountries().map(describeCountry),
    ...readEmoji().map((emoji) => `The ${emoji.name} emoji comes up for ${listWords(emoji.keywords.slice(0, 5))}.`),
  ];
  const result: string[] = [];
  let order = shuffled(descriptions, random);
  let position = 0;
  while (result.length < documents) {
    let text = "";
    while (text.length < documentCharacters) {
      if (position === order.length) {
        order = shuffled(descriptions, random);
        position = 0;
      }
      text = text.length === 0 ? order[position]! : `${text} ${order[position]!}`;
      position++;
    }
    result.push(text);
  }
  return result;
}
