/**
 * Access to what a stage reads from its upstream stages: the tokenized data (tokenizer, corpus, collections), the
 * frozen downstream model written by `pretrain`, and the parameter values of a stage's parameters.
 */

import fs from "node:fs";
import path from "node:path";

import { openTokenizedDataset, type SequenceLengths, type SpecialIds, type TokenizedCollection, type TokenizedCorpus, type TokenizedDataset, type TokenizerInfo } from "../../datasets/index.js";
import type { JsonValue, StageContext } from "../engine/stage.js";
import type { SpecialTokenIds } from "./objectives/tokens.js";

/** Folder inside the `pretrain` output that contains the downstream T5 checkpoint. */
export const downstreamModelFolder = "model";

/** The tokenized data of every upstream stage that published a tokenized folder. */
export class StageData {
  readonly #datasets: TokenizedDataset[];

  constructor(readonly context: StageContext) {
    this.#datasets = Object.values(context.inputs)
      .filter((folder) => fs.existsSync(path.join(folder, "tokenized.json")))
      .map((folder) => openTokenizedDataset(folder));
    if (this.#datasets.length === 0) {
      throw new Error(`Stage "${context.stage.id}": no upstream stage published tokenized data (tokenized.json); its upstream is ${context.stage.upstream.join(", ")}.`);
    }
  }

  get tokenizerInfo(): TokenizerInfo {
    return this.#datasets[0]!.tokenizerInfo;
  }

  tokenizer(): ReturnType<TokenizedDataset["tokenizer"]> {
    return this.#datasets[0]!.tokenizer();
  }

  corpus(): TokenizedCorpus {
    const dataset = this.#datasets.find((candidate) => candidate.manifest.corpus !== null);
    if (dataset === undefined) throw new Error(`Stage "${this.context.stage.id}": no upstream stage published a tokenized corpus.`);
    return dataset.corpus();
  }

  collection(name: string): TokenizedCollection {
    const dataset = this.#datasets.find((candidate) => candidate.collectionNames().includes(name));
    if (dataset === undefined) {
      const known = this.#datasets.flatMap((candidate) => candidate.collectionNames());
      throw new Error(`Stage "${this.context.stage.id}": no upstream tokenized collection "${name}"; found ${known.join(", ") || "none"}.`);
    }
    return dataset.collection(name);
  }
}

/** Special ids in the two shapes the datasets helpers and the objectives take. */
export function specialIds(info: TokenizerInfo): SpecialIds & SpecialTokenIds {
  return {
    xId: info.xId,
    yId: info.yId,
    eosId: info.eosId,
    pad: info.padId,
    eos: info.eosId,
    fewShotInput: info.xId,
    fewShotOutput: info.yId,
    sentinel: (index: number) => {
      const id = info.sentinelIds[index];
      if (id === undefined) throw new RangeError(`The tokenizer has ${info.sentinelIds.length} sentinels; sentinel ${index} does not exist.`);
      return id;
    },
  };
}

export function sequenceLengths(params: { maxHyperInputLength: number; maxInputLength: number; maxTargetLength: number }): SequenceLengths {
  return { hypermodelInput: params.maxHyperInputLength, downstreamInput: params.maxInputLength, target: params.maxTargetLength };
}

/** Returns the published folder of upstream stage `id`; throws naming the stage when it is not an input. */
export function inputFolder(context: StageContext, id: string): string {
  const folder = context.inputs[id];
  if (folder === undefined) throw new Error(`Stage "${context.stage.id}" needs the output of "${id}", which is not among its inputs.`);
  return folder;
}

/** Typed access to a stage's parameters; a missing or mistyped parameter is an error naming it. */
export class StageParams {
  constructor(readonly context: StageContext) {}

  private value(name: string): JsonValue | undefined {
    return this.context.stage.params[name];
  }

  private fail(name: string, expected: string): never {
    throw new Error(`Stage "${this.context.stage.id}": parameter "${name}" is ${JSON.stringify(this.value(name))}, expected ${expected}.`);
  }

  number(name: string): number {
    const value = this.value(name);
    return typeof value === "number" && Number.isFinite(value) ? value : this.fail(name, "a number");
  }

  string<T extends string = string>(name: string): T {
    const value = this.value(name);
    return typeof value === "string" ? (value as T) : this.fail(name, "a string");
  }

  optionalNumber(name: string): number | undefined {
    const value = this.value(name);
    if (value === null || value === undefined) return undefined;
    return this.number(name);
  }

  optionalString(name: string): string | undefined {
    const value = this.value(name);
    if (value === null || value === undefined) return undefined;
    return this.string(name);
  }

  /** An object parameter, cast to `T` (the profile schema validated its shape). */
  object<T>(name: string): T {
    const value = this.value(name);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as T) : this.fail(name, "an object");
  }

  numbers(name: string): number[] {
    const value = this.value(name);
    return Array.isArray(value) && value.every((item) => typeof item === "number") ? (value as number[]) : this.fail(name, "an array of numbers");
  }
}
