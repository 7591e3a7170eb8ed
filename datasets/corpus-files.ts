/**
 * The text corpus file written by the `download` stage: `corpus.jsonl`, one `{"text": …}` object per document.
 */
import fs from "node:fs";
import readline from "node:readline";

/** Writes `documents` as `corpus.jsonl` lines; returns the number written and the file size in bytes. */
export function writeCorpus(file: string, documents: Iterable<string>): { documents: number; bytes: number } {
  const descriptor = fs.openSync(file, "w");
  let count = 0;
  try {
    for (const text of documents) {
      if (typeof text !== "string") throw new Error(`corpus document ${count + 1} is not a string`);
      fs.writeSync(descriptor, JSON.stringify({ text }) + "\n");
      count++;
    }
  } finally {
    fs.closeSync(descriptor);
  }
  return { documents: count, bytes: fs.statSync(file).size };
}

/** Reads the documents of a `corpus.jsonl` in order; throws naming the line of a malformed record. */
export async function* readCorpus(file: string): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${lineNumber}: invalid JSON: ${(error as Error).message}`);
    }
    const text = (value as { text?: unknown } | null)?.text;
    if (typeof text !== "string") throw new Error(`${file}:${lineNumber}: missing string field "text"`);
    yield text;
  }
}
