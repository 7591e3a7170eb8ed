/**
 * C4 (`allenai/c4`, config `en`) for hyperpretraining: the first N training shards, each a gzipped JSON Lines file
 * with `text`, `timestamp` and `url` per document. Only `text` is kept.
 */
import fs from "node:fs";
import readline from "node:readline";
import zlib from "node:zlib";
import type { CorpusWriter } from "../corpus-files.js";
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { stringField } from "./jsonl.js";

export interface C4Options {
  /** Dataset repository, default `allenai/c4`. */
  repo: string;
  revision: string;
  /** Number of training shards, from shard 0. */
  shards: number;
  /** Total shard count in the file names (`c4-train.00000-of-01024.json.gz`). */
  shardCount: number;
  /** Stop after this many documents. */
  maxDocuments: number;
}

export function c4ShardPath(index: number, shardCount: number): string {
  const pad = (value: number): string => String(value).padStart(5, "0");
  return `en/c4-train.${pad(index)}-of-${pad(shardCount)}.json.gz`;
}

/**
 * Downloads the shards and appends their document texts to `corpus`, in shard order. A shard (about 300 MB of text
 * uncompressed) is streamed, never held in memory whole.
 */
export async function loadC4(context: FetchContext, options: C4Options, corpus: CorpusWriter): Promise<void> {
  for (let index = 0; index < options.shards && corpus.documents < options.maxDocuments; index++) {
    const relative = c4ShardPath(index, options.shardCount);
    const url = joinUrl(`${context.access.endpoint}/datasets/${options.repo}/resolve/${options.revision}`, ...relative.split("/"));
    const { file } = await fetchToFile(context, url);
    await appendShard(file, relative, options.maxDocuments, corpus);
  }
}

async function appendShard(file: string, label: string, maxDocuments: number, corpus: CorpusWriter): Promise<void> {
  const gunzip = zlib.createGunzip();
  const lines = readline.createInterface({ input: fs.createReadStream(file).pipe(gunzip), crlfDelay: Infinity });
  // readline does not forward stream errors, so a corrupt or truncated gzip is caught here and rethrown below.
  let streamError: Error | undefined;
  gunzip.on("error", (error) => {
    streamError = error;
    lines.close();
  });
  let lineNumber = 0;
  const gzipError = (error: Error): Error => new Error(`${label}: invalid gzip data (${error.message}); the file may be truncated`);
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim().length === 0) continue;
      if (corpus.documents >= maxDocuments) break;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new Error(`${label}:${lineNumber}: invalid JSON (${(error as Error).message}); the file may be truncated or corrupt`);
      }
      corpus.append(stringField(value, "text", `${label}:${lineNumber}`));
    }
  } catch (error) {
    // Depending on timing, the gunzip error surfaces through the line iterator or only through its listener.
    if (streamError || String((error as NodeJS.ErrnoException).code ?? "").startsWith("Z_")) throw gzipError(streamError ?? (error as Error));
    throw error;
  } finally {
    lines.close();
  }
  if (streamError) throw gzipError(streamError);
}
