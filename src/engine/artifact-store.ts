/**
 * Layout of an artifacts folder and the checks on its entries.
 *
 * - `<stage-id>/<key>/`: a published entry (outputs, `manifest.json`, `log.jsonl`).
 * - `.tmp/<stage-id>/<key>-<random>/`: an entry being built; renamed into place when complete.
 * - `.work/<stage-id>/<key>/`: checkpoints, kept across failed and killed runs, removed after publishing.
 * - `.locks/<stage-id>/<key>.lock`: the build lock of a key (see `lock.ts`).
 * - `.cache/`: memos (file digests); deleting them only costs time.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { StageKey } from "./canonical.js";
import { FileDigestMemo } from "./file-digest.js";
import {
  entryBookkeepingFiles,
  manifestFileName,
  manifestProblems,
  manifestSchema,
  type Manifest,
} from "./manifest.js";

export type EntryCheck =
  | { state: "valid"; manifest: Manifest; dir: string }
  | { state: "absent" }
  /** The entry exists but cannot be trusted; it counts as absent and is rebuilt. */
  | { state: "invalid"; problems: string[]; dir: string };

const keyPattern = /^[0-9a-f]{64}$/;

export class ArtifactStore {
  readonly root: string;
  readonly memo: FileDigestMemo;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.memo = FileDigestMemo.load(this.root);
  }

  entryDir(stageId: string, key: StageKey | string): string {
    return path.join(this.root, stageId, key);
  }

  workDir(stageId: string, key: StageKey): string {
    return path.join(this.root, ".work", stageId, key);
  }

  lockFile(stageId: string, key: StageKey): string {
    return path.join(this.root, ".locks", stageId, `${key}.lock`);
  }

  /** Creates an empty folder for building an entry, on the same filesystem so that publishing is a rename. */
  async createStagingDir(stageId: string, key: StageKey): Promise<string> {
    const dir = path.join(this.root, ".tmp", stageId, `${key}-${randomBytes(6).toString("hex")}`);
    await fs.promises.mkdir(dir, { recursive: true });
    return dir;
  }

  /** Removes staging folders of `key` left by killed runs; call it while holding the key's lock. */
  async removeStaleStagingDirs(stageId: string, key: StageKey): Promise<void> {
    const parent = path.join(this.root, ".tmp", stageId);
    for (const name of await readdirOrEmpty(parent)) {
      if (name.startsWith(`${key}-`)) await fs.promises.rm(path.join(parent, name), { recursive: true, force: true });
    }
  }

  /** Keys of the entries (valid or not) of a stage. */
  async listKeys(stageId: string): Promise<string[]> {
    return (await readdirOrEmpty(path.join(this.root, stageId))).filter((name) => keyPattern.test(name));
  }

  /**
   * Checkpoint folders (`.work/<stage-id>/<key>/`) of a stage. Only key-named folders count, because stage ids
   * nest (`mtf/p3` and `mtf/p3/hyper-lora`), so the work folder of one stage contains the work folders of others.
   */
  async listWorkDirs(stageId: string): Promise<string[]> {
    const parent = path.join(this.root, ".work", stageId);
    return (await readdirOrEmpty(parent)).filter((name) => keyPattern.test(name)).map((name) => path.join(parent, name));
  }

  /** Removes the empty folders between `dir` and the artifacts folder, as left behind by `remove`. */
  async removeEmptyParents(dir: string): Promise<void> {
    for (let folder = path.dirname(dir); folder.startsWith(this.root + path.sep); folder = path.dirname(folder)) {
      try {
        await fs.promises.rmdir(folder);
      } catch {
        return;
      }
    }
  }

  /**
   * Checks the entry of `key`: its manifest is valid and names this stage and key, and the folder contains exactly
   * the files it lists, with their sizes and digests. Digests come from the memo, so unchanged files are not read.
   * NOTE: a file rewritten with the same size and modification time and inode keeps its memoized digest, so such a
   * change goes unnoticed until the memo is deleted.
   */
  async checkEntry(stageId: string, key: StageKey | string): Promise<EntryCheck> {
    const dir = this.entryDir(stageId, key);
    const manifestPath = path.join(dir, manifestFileName);
    let text: string;
    try {
      text = fs.readFileSync(manifestPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return fs.existsSync(dir) ? { state: "invalid", problems: [`${manifestPath} is missing`], dir } : { state: "absent" };
    }

    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { state: "invalid", problems: [`${manifestPath} is not valid JSON: ${(error as Error).message}`], dir };
    }
    if (!(await this.memo.passedSchema(manifestPath, manifestSchema.$id))) {
      const problems = await manifestProblems(manifestPath, data);
      if (problems.length > 0) return { state: "invalid", problems, dir };
      await this.memo.recordPassedSchema(manifestPath, manifestSchema.$id);
    }
    const manifest = data as Manifest;
    if (manifest.stage !== stageId || manifest.key !== key) {
      const found = `stage ${manifest.stage}, key ${manifest.key}`;
      return { state: "invalid", problems: [`${manifestPath} describes ${found}, not the folder it is in`], dir };
    }

    const problems = await this.#outputProblems(dir, manifest);
    return problems.length > 0 ? { state: "invalid", problems, dir } : { state: "valid", manifest, dir };
  }

  async #outputProblems(dir: string, manifest: Manifest): Promise<string[]> {
    const problems: string[] = [];
    const listed = new Set(manifest.outputs.map((output) => output.path));
    for (const output of manifest.outputs) {
      const file = path.join(dir, output.path);
      try {
        const facts = await this.memo.digest(file);
        if (facts.size !== output.size) {
          problems.push(`${file} has ${facts.size} bytes, the manifest lists ${output.size}`);
        } else if (facts.sha256 !== output.sha256) {
          problems.push(`${file} has SHA-256 ${facts.sha256}, the manifest lists ${output.sha256}`);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        problems.push(`${file} is listed in the manifest but missing`);
      }
    }
    for (const file of await listFiles(dir)) {
      if (!listed.has(file) && !entryBookkeepingFiles.includes(file)) {
        problems.push(`${path.join(dir, file)} is not listed in the manifest`);
      }
    }
    return problems;
  }

  /** Finds the valid entry of this stage that finished last, which `plan` compares a stale stage against. */
  async newestValidEntry(stageId: string): Promise<Manifest | undefined> {
    let newest: Manifest | undefined;
    for (const key of await this.listKeys(stageId)) {
      const check = await this.checkEntry(stageId, key);
      if (check.state === "valid" && (newest === undefined || check.manifest.timings.finished > newest.timings.finished)) {
        newest = check.manifest;
      }
    }
    return newest;
  }

  /**
   * Moves a complete staging folder into place as the entry of `key`. An existing entry there (found invalid) is
   * moved aside first. Both steps are renames, so a reader sees either the old folder, none, or the complete new
   * one.
   */
  async publish(stagingDir: string, stageId: string, key: StageKey): Promise<string> {
    const target = this.entryDir(stageId, key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) await this.remove(target);
    await fs.promises.rename(stagingDir, target);
    this.memo.moveBelow(stagingDir, target);
    return target;
  }

  /** Removes a folder inside the artifacts folder by renaming it away first, so no half-deleted entry is seen. */
  async remove(dir: string): Promise<void> {
    const trash = path.join(this.root, ".trash", `${path.basename(dir)}-${randomBytes(6).toString("hex")}`);
    await fs.promises.mkdir(path.dirname(trash), { recursive: true });
    try {
      await fs.promises.rename(dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    this.memo.forgetBelow(dir);
    await fs.promises.rm(trash, { recursive: true, force: true });
  }

  /** Stage ids that have entries in this folder. */
  stageIdsOnDisk(): Promise<string[]> {
    return stageIdsBelow(this.root);
  }

  /** Stage ids that have checkpoint folders. */
  stageIdsWithWork(): Promise<string[]> {
    return stageIdsBelow(path.join(this.root, ".work"));
  }
}

/** Stage ids below `root`: the paths of folders that contain key-named folders, skipping hidden folders. */
async function stageIdsBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.promises.readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
    if (relative !== "" && entries.some((entry) => entry.isDirectory() && keyPattern.test(entry.name))) {
      found.push(relative.split(path.sep).join("/"));
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || keyPattern.test(entry.name) || entry.name.startsWith(".")) continue;
      await walk(path.join(relative, entry.name));
    }
  };
  await walk("");
  return found.sort();
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Paths of the regular files below `dir`, relative to it, with `/` separators. */
export async function listFiles(dir: string): Promise<string[]> {
  // A plain walk: `readdirSync(dir, { recursive: true })` is several times slower for the flat folders entries are.
  const files: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(child);
    }
  };
  walk("");
  return files;
}
