/**
 * File digests memoized by (path, size, mtime, inode), so that an unchanged multi-gigabyte output is not read
 * again on every run. The memo is a JSON file under the artifacts folder; losing it only costs rehashing.
 */
import { createHash, randomBytes } from "node:crypto";
import { builtinModules } from "node:module";
import fs from "node:fs";
import path from "node:path";
import type { FileDigest } from "./canonical.js";

interface MemoEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
  /** Packages the file imports, recorded for code files only. */
  packages?: string[];
  /** Ids of the JSON schemas this exact file content passed, so unchanged files are not validated again. */
  schemas?: string[];
}

interface MemoFile {
  version: 1;
  entries: { [absolutePath: string]: MemoEntry };
}

export interface FileFacts {
  size: number;
  sha256: FileDigest;
}

const builtins = new Set(builtinModules);
/** Files below this size are read in one call; larger ones are streamed. */
const smallFileBytes = 16 * 1024 * 1024;
// Static imports, re-exports, dynamic imports and require calls with a literal specifier.
const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"'\s]+)["']/g;

/** Names of the npm packages a JavaScript or TypeScript source imports (bare specifiers, without builtins). */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(importPattern)) {
    const specifier = match[1]!;
    if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) continue;
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
    if (!builtins.has(name)) names.add(name);
  }
  return [...names].sort();
}

/** Digest memo of one artifacts folder; call `save()` after a batch of lookups. */
export class FileDigestMemo {
  readonly #file: string;
  #entries: Map<string, MemoEntry> = new Map();
  #dirty = false;

  private constructor(file: string) {
    this.#file = file;
  }

  /** Loads the memo of `artifactsDir`; a missing or unreadable memo starts empty. */
  static load(artifactsDir: string): FileDigestMemo {
    const memo = new FileDigestMemo(path.join(artifactsDir, ".cache", "file-digests.json"));
    memo.#entries = readMemoEntries(memo.#file);
    return memo;
  }

  /** Size and SHA-256 of `file`, read from the memo when size, mtime and inode are unchanged. */
  async digest(file: string): Promise<FileFacts> {
    const entry = await this.#entry(file, false);
    return { size: entry.size, sha256: entry.sha256 as FileDigest };
  }

  /** Like `digest`, and also the packages a source file imports. */
  async digestSource(file: string): Promise<FileFacts & { packages: string[] }> {
    const entry = await this.#entry(file, true);
    return { size: entry.size, sha256: entry.sha256 as FileDigest, packages: entry.packages ?? [] };
  }

  async #entry(file: string, wantPackages: boolean): Promise<MemoEntry> {
    const absolute = path.resolve(file);
    // Synchronous calls: the no-op path makes thousands of tiny ones, and a thread-pool round trip each costs more.
    const stat = fs.statSync(absolute);
    const known = this.#entries.get(absolute);
    const unchanged =
      known !== undefined && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ino === stat.ino;
    if (unchanged && (!wantPackages || known.packages !== undefined)) return known;

    const entry: MemoEntry = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, sha256: "" };
    if (wantPackages || stat.size < smallFileBytes) {
      const content = fs.readFileSync(absolute);
      entry.sha256 = createHash("sha256").update(content).digest("hex");
      if (wantPackages) entry.packages = importedPackages(content.toString("utf8"));
    } else {
      entry.sha256 = await hashStream(absolute);
    }
    this.#entries.set(absolute, entry);
    this.#dirty = true;
    return entry;
  }

  /** Checks whether `file`, unchanged since, passed validation against the schema `schemaId`. */
  async passedSchema(file: string, schemaId: string): Promise<boolean> {
    const absolute = path.resolve(file);
    const known = this.#entries.get(absolute);
    if (known?.schemas === undefined || !known.schemas.includes(schemaId)) return false;
    const stat = fs.statSync(absolute);
    return known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ino === stat.ino;
  }

  /** Records that `file`, as it is now, passed validation against the schema `schemaId`. */
  async recordPassedSchema(file: string, schemaId: string): Promise<void> {
    const entry = await this.#entry(file, false);
    entry.schemas = [...new Set([...(entry.schemas ?? []), schemaId])];
    this.#dirty = true;
  }

  /** Moves the entries of files below `from` to the same relative paths below `to`, after a rename. */
  moveBelow(from: string, to: string): void {
    const prefix = path.resolve(from) + path.sep;
    for (const [key, entry] of [...this.#entries]) {
      if (!key.startsWith(prefix)) continue;
      this.#entries.delete(key);
      this.#entries.set(path.join(path.resolve(to), key.slice(prefix.length)), entry);
      this.#dirty = true;
    }
  }

  /** Forgets the entries of files below `folder` (after it was deleted or replaced). */
  forgetBelow(folder: string): void {
    const prefix = path.resolve(folder) + path.sep;
    for (const key of this.#entries.keys()) {
      if (key.startsWith(prefix)) {
        this.#entries.delete(key);
        this.#dirty = true;
      }
    }
  }

  /**
   * Writes the memo if it changed, merged with entries another process saved meanwhile. Entries of files that no
   * longer exist are dropped so the memo does not grow without bound.
   */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const merged = readMemoEntries(this.#file);
    for (const [key, entry] of this.#entries) merged.set(key, entry);
    for (const key of merged.keys()) {
      if (!fs.existsSync(key)) merged.delete(key);
    }
    const content: MemoFile = { version: 1, entries: Object.fromEntries(merged) };
    await fs.promises.mkdir(path.dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    await fs.promises.writeFile(temporary, JSON.stringify(content));
    await fs.promises.rename(temporary, this.#file);
    this.#dirty = false;
  }
}

function readMemoEntries(file: string): Map<string, MemoEntry> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<MemoFile>;
    if (parsed.version === 1 && typeof parsed.entries === "object" && parsed.entries !== null) {
      return new Map(Object.entries(parsed.entries));
    }
  } catch {
    // A missing or half-written memo is rebuilt from the files themselves.
  }
  return new Map();
}

async function hashStream(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
