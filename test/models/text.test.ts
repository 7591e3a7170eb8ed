import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { innerWidth, parseT5Config } from "../../src/models/index.js";
import { loadTokenizer } from "../../src/models/text.js";
import { fixturesRoot } from "./helpers.js";

const t5Folder = path.join(fixturesRoot, "t5", "t5-v1_1-xxl");
const haveT5 = fs.existsSync(path.join(t5Folder, "tokenizer", "tokenizer.json"));
if (!haveT5) console.log(`Skipping the T5 tokenizer and config tests: ${t5Folder} is absent.`);

describe.skipIf(!haveT5)("real T5 v1.1 files", () => {
  it("tokenizer appends EOS and round-trips", () => {
    const tokenizer = loadTokenizer(path.join(t5Folder, "tokenizer", "tokenizer.json"));
    const ids = tokenizer.encode("Is the sky blue? yes");
    expect(ids[ids.length - 1]).toBe(1);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 32128)).toBe(true);
    expect(tokenizer.decode(ids)).toBe("Is the sky blue? yes");
  });

  it("config parses with its inner width", () => {
    const file = path.join(t5Folder, "text_encoder", "config.json");
    const config = parseT5Config(JSON.parse(fs.readFileSync(file, "utf8")), file);
    expect(config.d_model).toBe(4096);
    expect(innerWidth(config)).toBe(64 * 64);
    expect(config.tie_word_embeddings).toBe(false);
  });
});
