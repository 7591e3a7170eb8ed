/** Hugging Face tokenizer.json loading for the command line (token ids in, token ids out). */
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

export interface TextCodec {
  /** Token ids of `text`, with whatever special tokens (T5: EOS) the tokenizer's post-processor adds. */
  encode(text: string): number[];
  decode(ids: number[]): string;
}

/** Loads `tokenizer.json` (and `tokenizer_config.json` beside it, if present). */
export function loadTokenizer(file: string): TextCodec {
  let json: object;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8")) as object;
  } catch (error) {
    throw new Error(`${file}: cannot read the tokenizer (${(error as Error).message}).`);
  }
  const configFile = path.join(path.dirname(file), "tokenizer_config.json");
  const config = fs.existsSync(configFile) ? (JSON.parse(fs.readFileSync(configFile, "utf8")) as object) : {};
  const tokenizer = new Tokenizer(json, config);
  return {
    encode: (text) => tokenizer.encode(text).ids.map(Number),
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}
