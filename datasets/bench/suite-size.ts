/**
 * Measures the embedded suite of a size profile: build and tokenization time, corpus size, and token lengths of
 * inputs and targets. Usage: `npm run build && node dist/datasets/bench/suite-size.js [default|smoke] [vocabSize]`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import downloadStage from "../../stages/download.js";
import tokenizeStage from "../../stages/tokenize.js";
import type { StageContext } from "../../src/engine/stage.js";
import { embeddedSuiteVersion } from "../embedded/suite.js";
import { openTokenizedDataset } from "../tokenized.js";

function context(kind: string, params: StageContext["stage"]["params"], inputs: StageContext["inputs"], root: string): StageContext {
  const outputDir = path.join(root, kind, "output");
  const workDir = path.join(root, kind, "work");
  fs.mkdirSync(outputDir, { recursive: true });
  fs.mkdirSync(workDir, { recursive: true });
  return {
    stage: { id: kind, kind, params, upstream: Object.keys(inputs), code: [], resource: "cpu" },
    outputDir,
    workDir,
    inputs,
    emit: () => undefined,
    signal: new AbortController().signal,
  };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const sizeProfile = process.argv[2] ?? "default";
  const vocabSize = Number(process.argv[3] ?? 4096);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "suite-size-"));
  try {
    let started = performance.now();
    const download = context("download", { source: "embedded", suiteVersion: embeddedSuiteVersion, seed: 0, sizeProfile }, {}, root);
    await downloadStage.run(download);
    const downloadSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const tokenize = context("tokenize", { tokenizer: "unigram", vocabSize }, { download: download.outputDir }, root);
    await tokenizeStage.run(tokenize);
    const tokenizeSeconds = (performance.now() - started) / 1000;

    const dataset = openTokenizedDataset(tokenize.outputDir);
    const corpus = dataset.corpus();
    const corpusBytes = fs.statSync(path.join(download.outputDir, "corpus.jsonl")).size;
    console.log(`profile ${sizeProfile}, vocabulary ${vocabSize}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"})`);
    console.log(`download ${downloadSeconds.toFixed(1)} s, tokenize ${tokenizeSeconds.toFixed(1)} s`);
    console.log(`corpus: ${corpus.documentCount} documents, ${(corpusBytes / 1e6).toFixed(2)} MB, ${corpus.tokens.length} tokens`);
    for (const name of dataset.collectionNames()) {
      const collection = dataset.collection(name);
      const inputs: number[] = [];
      const targets: number[] = [];
      let examples = 0;
      for (const taskName of collection.taskNames()) {
        const task = collection.task(taskName);
        for (const example of [...task.train, ...task.test]) {
          inputs.push(example.input.length);
          targets.push(example.target.length);
          examples++;
        }
      }
      const under48 = inputs.filter((length) => length < 48).length / inputs.length;
      const under8 = targets.filter((length) => length < 8).length / targets.length;
      console.log(
        `${name}: ${collection.taskNames("train").length} train + ${collection.taskNames("heldout").length} held-out tasks, ${examples} examples; ` +
          `input tokens median ${percentile(inputs, 0.5)}, p95 ${percentile(inputs, 0.95)}, max ${Math.max(...inputs)} (${(under48 * 100).toFixed(1)}% < 48); ` +
          `target tokens median ${percentile(targets, 0.5)}, p95 ${percentile(targets, 0.95)} (${(under8 * 100).toFixed(1)}% < 8)`,
      );
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
