/** Parsing of downloaded JSON Lines files, with errors that name the file and the line. */
import fs from "node:fs";
import zlib from "node:zlib";

/** Parses each non-empty line of `text`; `label` names the file in errors. */
export function parseJsonLines(text: string, label: string): { line: number; value: unknown }[] {
  const records: { line: number; value: unknown }[] = [];
  const lines = text.split("\n");
  lines.forEach((line, position) => {
    if (line.trim().length === 0) return;
    try {
      records.push({ line: position + 1, value: JSON.parse(line) });
    } catch (error) {
      throw new Error(`${label}:${position + 1}: invalid JSON (${(error as Error).message}); the file may be truncated or corrupt`);
    }
  });
  return records;
}

/** Reads a local file, gunzipping it when the name ends in `.gz`; errors name `label`. */
export function readTextFile(file: string, label: string): string {
  const bytes = fs.readFileSync(file);
  if (!file.endsWith(".gz")) return bytes.toString("utf8");
  try {
    return zlib.gunzipSync(bytes).toString("utf8");
  } catch (error) {
    throw new Error(`${label}: invalid gzip data (${(error as Error).message}); the file may be truncated`);
  }
}

/** Returns `record[field]` if it is a string, else throws naming the file, line and field. */
export function stringField(record: unknown, field: string, where: string): string {
  const value = (record as Record<string, unknown> | null)?.[field];
  if (typeof value !== "string") throw new Error(`${where}: field "${field}" is missing or not a string`);
  return value;
}
