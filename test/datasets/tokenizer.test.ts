import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { readWordNet } from "../../datasets/embedded/wordnet.js";
import { trainUnigramTokenizer } from "../../datasets/tokenizer.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..").replace(/\/dist$/, "");
const texts = Array.from({ length: 400 }, (_, index) => `Sentence ${index} tells how a dog and a cat met near river number ${index % 17}.`);

test("unigram training keeps T5 special ids", () => {
  const tokenizer = trainUnigramTokenizer(texts, { vocabSize: 180 });
  expect(tokenizer.info).toMatchObject({ kind: "unigram", vocabSize: 180, padId: 0, eosId: 1, unkId: 2, xId: 178, yId: 179 });
  expect(tokenizer.info.sentinelIds[0]).toBe(177);
  expect(tokenizer.info.sentinelIds[99]).toBe(78);
  const ids = tokenizer.encode("<x> a dog <y> cat");
  expect(ids[0]).toBe(178);
  expect(ids).toContain(179);
  expect(tokenizer.decode(tokenizer.encode("a dog met a cat"))).toBe("a dog met a cat");
});

test("unigram training is deterministic", () => {
  // Enough text fills the trainer's 8,000 pieces, so it appends rare characters in hash-set order and sums scores
  // in parallel; the ids must still not change from run to run.
  const glosses = readWordNet()
    .slice(0, 5000)
    .map((synset) => `${synset.words.join(", ")}: ${synset.definition}`);
  const first = JSON.stringify(trainUnigramTokenizer(glosses, { vocabSize: 2000 }).json);
  const second = JSON.stringify(trainUnigramTokenizer(glosses, { vocabSize: 2000 }).json);
  expect(second).toBe(first);
});

test("small text gives a smaller vocabulary", () => {
  const tokenizer = trainUnigramTokenizer(texts, { vocabSize: 2000 });
  expect(tokenizer.info.vocabSize).toBeLessThan(2000);
  expect(tokenizer.info.yId).toBe(tokenizer.info.vocabSize - 1);
});

test("unigram vocabulary size is validated", () => {
  expect(() => trainUnigramTokenizer(texts, { vocabSize: 100 })).toThrow(/vocabSize 100 is invalid/);
  expect(() => trainUnigramTokenizer(texts, { vocabSize: 9000 })).toThrow(/at most 8105/);
});

test("unigram training prints nothing on stdout", () => {
  // A stage process reports its events on stdout, so the Rust trainer's progress output must not reach it.
  const script = `import("${path.join(repoRoot, "dist/datasets/tokenizer.js")}").then((module) => module.trainUnigramTokenizer(${JSON.stringify(texts)}, { vocabSize: 300 }))`;
  const stdout = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  expect(stdout).toBe("");
});
