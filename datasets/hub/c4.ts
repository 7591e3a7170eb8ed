/**
 * C4 (`allenai/c4`, config `en`) for hyperpretraining: the first N training shards, each a gzipped JSON Lines file
 * with `text`, `timestamp` and `url` per document. Only `text` is kept.
 */
import { fetchToFile, type FetchContext } from "./fetch-context.js";
import { joinUrl } from "./http.js";
import { parseJsonLines, readTextFile, stringField } from "./jsonl.js";

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

/** Downloads the shards and returns the document texts, in shard order. */
export async function loadC4(context: FetchContext, options: C4Options): Promise<string[]> {
  const documents: string[] = [];
  for (let index = 0; index < options.shards && documents.length < options.maxDocuments; index++) {
    const relative = c4ShardPath(index, options.shardCount);
    const url = joinUrl(`${context.access.endpoint}/datasets/${options.repo}/resolve/${options.revision}`, ...relative.split("/"));
    const { file } = await fetchToFile(context, url);
    for (const record of parseJsonLines(readTextFile(file, relative), relative)) {
      if (documents.length >= options.maxDocuments) break;
      documents.push(stringField(record.value, "text", `${relative}:${record.line}`));
    }
  }
  return documents;
}
