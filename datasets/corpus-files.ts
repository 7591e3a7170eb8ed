/**
 * The text corpus file written by the `download` stage: `corpus.jsonl`, one `{"text": …}` object per document.
 */
import fs from "node:fs";
import readline from "node:readline";

/** Appends documents to a `corpus.jsonl` one at a time, for corpora too large to hold in memory. */
export class CorpusWriter {
  readonly #descriptor: number;
  #count = 0;

  constructor(readonly file: string) {
    this.#descriptor = fs.openSync(file, "w");
  }

  get documents(): number {
    return this.#count;
  }

  append(text: string): void {
    if (typeof text !== "string") throw new Error(`corpus document ${this.#count + 1} is not a string`);
    fs.writeSync(this.#descriptor, JSON.stringify({ text }) + "\n");
    this.#count++;
  }

  /** Closes and deletes the file, after a failure. */
  discard(): void {
    fs.closeSync(this.#descriptor);
    fs.rmSync(this.file, { force: true });
  }

  /** Closes the file; returns the number of documents and the file size in bytes. */
  finish(): { documents: number; bytes: number } {
    fs.closeSync(this.#descriptor);
    return { documents: this.#count, bytes: fs.statSync(this.file).size };
  }
}

/** Writes `documents` as `corpus.jsonl` lines; returns the number written and the file size in bytes. */
export function writeCorpus(file: string, documents: Iterable<string>): { documents: number; bytes: number } {
  const writer = new CorpusWriter(file);
  try {
    for (const text of documents) writer.append(text);
  } catch (error) {
    writer.discard();
    throw error;
  }
  return writer.finish();
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
