import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parseSentencePieceModel, t5TokenizerJsonFromSentencePiece } from "../../datasets/sentencepiece.js";
import { TextTokenizer, withFewShotMarkers } from "../../datasets/tokenizer.js";
import { fixturesFolder, haveFixtures } from "./fixture-server.js";

describe.skipIf(!haveFixtures)("SentencePiece conversion", () => {
  const bytes = haveFixtures ? fs.readFileSync(path.join(fixturesFolder, "t5/spiece.model")) : Buffer.alloc(0);

  test("spiece.model gives T5's tokenizer.json", () => {
    const model = parseSentencePieceModel(bytes);
    expect(model.pieces).toHaveLength(32000);
    expect(model.pieces.slice(0, 4).map((piece) => [piece.piece, piece.type])).toEqual([
      ["<pad>", 3],
      ["</s>", 3],
      ["<unk>", 2],
      ["\u2581", 1],
    ]);
    const reference = JSON.parse(fs.readFileSync(path.join(fixturesFolder, "t5/t5-v1_1-xxl/tokenizer/tokenizer.json"), "utf8"));
    expect(JSON.parse(JSON.stringify(t5TokenizerJsonFromSentencePiece(model)))).toEqual(reference);
  });

  test("converted tokenizer encodes like the reference", () => {
    const converted = new TextTokenizer(withFewShotMarkers(t5TokenizerJsonFromSentencePiece(parseSentencePieceModel(bytes))), "t5");
    const reference = JSON.parse(fs.readFileSync(path.join(fixturesFolder, "t5/t5-v1_1-xxl/tokenizer/tokenizer.json"), "utf8"));
    const referenceTokenizer = new TextTokenizer(withFewShotMarkers(reference), "t5");
    for (const text of ["Curaçao's capital is Willemstad.", "  two  spaces, \ufb01 ligature and \u00bd ", "<x> Hello world <y> yes"]) {
      expect(converted.encode(text)).toEqual(referenceTokenizer.encode(text));
    }
  });

  test("truncated spiece.model is rejected", () => {
    expect(() => parseSentencePieceModel(bytes.subarray(0, 1000))).toThrow(/no normalizer spec after 76 pieces; the file is truncated/);
    expect(() => parseSentencePieceModel(bytes.subarray(0, 5000))).toThrow(/field of 14 bytes at offset 4995 runs past the end/);
    expect(() => parseSentencePieceModel(Buffer.from("not a model"))).toThrow(/spiece.model/);
  });
});
