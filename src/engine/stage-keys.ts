/**
 * Builds the key record of a stage from its definition, its code files, its upstream outputs and the engine
 * facts. Everything here is cheap on a warm cache: code digests come from the memo, package versions from one
 * read of each `package.json`, and the backend from a detection that does not import TensorFlow.js.
 */
import fs from "node:fs";
import path from "node:path";
import { detectBackend } from "../models/backend-detect.js";
import { InputError } from "./errors.js";
import type { FileDigestMemo } from "./file-digest.js";
import type { EngineFacts, KeyRecord } from "./key-record.js";
import type { StageDefinition } from "./stage.js";

export interface KeyContext {
  projectRoot: string;
  memo: FileDigestMemo;
  /** Backend requested on the command line: `tensorflow`, `wasm`, `cpu` or `auto`. */
  backend: string;
}

const globCharacters = /[*?[\]{}()!]/;

export class StageKeyBuilder {
  readonly #context: KeyContext;
  readonly #globResults = new Map<string, Promise<string[]>>();
  readonly #packageVersions = new Map<string, string>();
  /** Code files are shared by many stages; each is looked up once per process. */
  readonly #sourceFacts = new Map<string, Promise<{ sha256: string; packages: string[] }>>();
  #backend: { name: string; packages: Record<string, string> } | undefined;

  constructor(context: KeyContext) {
    this.#context = context;
  }

  /**
   * Builds the key record of `stage`, given the outputs digest of each of its upstream stages.
   * Throws an `InputError` when a declared code path matches no file.
   */
  async record(stage: StageDefinition, upstreamDigests: { [stageId: string]: string }): Promise<KeyRecord> {
    const code: { [path: string]: string } = {};
    const packages = new Set<string>();
    for (const file of await this.#codeFiles(stage)) {
      let lookup = this.#sourceFacts.get(file);
      if (lookup === undefined) {
        lookup = this.#context.memo.digestSource(path.join(this.#context.projectRoot, file));
        this.#sourceFacts.set(file, lookup);
      }
      const facts = await lookup;
      code[file] = facts.sha256;
      for (const name of facts.packages) packages.add(name);
    }
    return {
      recordVersion: 1,
      kind: stage.kind,
      params: stage.params,
      upstream: Object.fromEntries(stage.upstream.map((id) => [id, upstreamDigests[id]!])),
      code,
      engine: this.#engineFacts(packages),
    };
  }

  /** Returns the backend chosen for this run (detected once), for the trainer's spec. */
  backendName(): string {
    return this.#detectBackend().name;
  }

  async #codeFiles(stage: StageDefinition): Promise<string[]> {
    const files = new Set<string>();
    for (const pattern of stage.code) {
      let found = this.#globResults.get(pattern);
      if (found === undefined) {
        found = this.#expand(pattern);
        this.#globResults.set(pattern, found);
      }
      const matched = await found;
      if (matched.length === 0) {
        throw new InputError(`Stage "${stage.id}" declares code ${JSON.stringify(pattern)}, which matches no file under ${this.#context.projectRoot}.`);
      }
      for (const file of matched) files.add(file);
    }
    return [...files].sort();
  }

  /** Files matching one code glob, relative to the project root; plain paths skip loading fast-glob. */
  async #expand(pattern: string): Promise<string[]> {
    if (!globCharacters.test(pattern)) {
      return fs.existsSync(path.join(this.#context.projectRoot, pattern)) ? [path.normalize(pattern).split(path.sep).join("/")] : [];
    }
    const { default: fastGlob } = await import("fast-glob");
    return fastGlob(pattern, { cwd: this.#context.projectRoot, onlyFiles: true, dot: false });
  }

  #engineFacts(imported: Set<string>): EngineFacts {
    const packages: { [name: string]: string } = {};
    for (const name of [...imported].sort()) packages[name] = this.#packageVersion(name);
    // The backend decides numerics, so it is part of the key, but only of stages that run TensorFlow.js.
    const usesTensorFlow = [...imported].some((name) => name.startsWith("@tensorflow/"));
    if (!usesTensorFlow) return { node: process.version, packages, backend: null };
    const backend = this.#detectBackend();
    return { node: process.version, packages: { ...packages, ...backend.packages }, backend: backend.name };
  }

  #packageVersion(name: string): string {
    let version = this.#packageVersions.get(name);
    if (version === undefined) {
      try {
        const manifest = path.join(this.#context.projectRoot, "node_modules", name, "package.json");
        version = String((JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: unknown }).version ?? "unknown");
      } catch {
        version = "not installed";
      }
      this.#packageVersions.set(name, version);
    }
    return version;
  }

  #detectBackend(): { name: string; packages: Record<string, string> } {
    this.#backend ??= detectBackendLazily(this.#context.backend);
    return this.#backend;
  }
}

/** Runs the models' backend detection, which reads package folders but does not import TensorFlow.js. */
function detectBackendLazily(requested: string): { name: string; packages: Record<string, string> } {
  try {
    return detectBackend(requested === "auto" ? undefined : requested);
  } catch (error) {
    throw new InputError(`--backend ${requested}: ${(error as Error).message}`);
  }
}
