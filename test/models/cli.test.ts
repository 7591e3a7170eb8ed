import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HyperT5, initBackend, saveT5, scoreChoices, T5Model } from "../../src/models/index.js";
import { repoRoot, tinyConfig } from "./helpers.js";

const pipeline = path.join(repoRoot, "dist", "pipeline.js");
let scratch: string;
let model: T5Model;

/** A word-level tokenizer.json over the tiny vocabulary: ids 0-2 special, words w3..w23, EOS appended. */
function writeTokenizer(file: string): void {
  const vocab: Record<string, number> = { "<pad>": 0, "</s>": 1, "<unk>": 2 };
  for (let id = 3; id < 24; id++) vocab[`w${id}`] = id;
  const tokenizer = {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<pad>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: "</s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: "<unk>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      special_tokens: { "</s>": { id: "</s>", ids: [1], tokens: ["</s>"] } },
    },
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "<unk>" },
  };
  fs.writeFileSync(file, JSON.stringify(tokenizer));
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [pipeline, "t5", ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lines(stdout: string): unknown[] {
  return stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown);
}

beforeAll(async () => {
  await initBackend(undefined, () => {});
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "models-cli-"));
  model = T5Model.create(tinyConfig(), 41);
  await saveT5(model, path.join(scratch, "checkpoint"));
  const hyper = HyperT5.fromDownstream(model, { kind: "lora", loraRank: 2, seed: 2 });
  // Non-zero gates, so the generated adapter changes the scores.
  for (const [name, variable] of hyper.extra) if (name.endsWith(".gate")) variable.assign(tf.fill(variable.shape, 0.8));
  await hyper.save(path.join(scratch, "hypermodel"));
  hyper.dispose();
  writeTokenizer(path.join(scratch, "tokenizer.json"));
  fs.writeFileSync(path.join(scratch, "ids.jsonl"), ['{"input_ids": [5, 6, 1], "choices_ids": [[3, 1], [4, 1]]}', '{"input_ids": [7, 1], "choices_ids": [[2, 1]]}', ""].join("\n"));
  fs.writeFileSync(path.join(scratch, "text.jsonl"), '{"input": "w5 w6", "choices": ["w3", "w4"]}\n');
  fs.writeFileSync(path.join(scratch, "few-shot.jsonl"), '{"input_ids": [5, 6, 7, 8, 1], "name": "task-a"}\n');
});

afterAll(() => {
  model.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("t5 command", () => {
  it("score writes only score lines", () => {
    const result = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "ids.jsonl")]);
    expect(result.status, result.stderr).toBe(0);
    const expected = scoreChoices(model, [
      { inputIds: [5, 6, 1], choices: [[3, 1], [4, 1]] },
      { inputIds: [7, 1], choices: [[2, 1]] },
    ]);
    const output = lines(result.stdout) as { scores: number[] }[];
    expect(output).toHaveLength(2);
    output.forEach((row, i) => row.scores.forEach((score, c) => expect(score).toBeCloseTo(expected[i]![c]!, 4)));
    expect(result.stderr).toMatch(/tfjs backend: /);
  });

  it("text input through a tokenizer", () => {
    const result = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "text.jsonl"), "--tokenizer", path.join(scratch, "tokenizer.json")]);
    expect(result.status, result.stderr).toBe(0);
    const expected = scoreChoices(model, [{ inputIds: [5, 6, 1], choices: [[3, 1], [4, 1]] }]);
    const [row] = lines(result.stdout) as { scores: number[] }[];
    row!.scores.forEach((score, c) => expect(score).toBeCloseTo(expected[0]![c]!, 4));
  });

  it("text input without a tokenizer fails", () => {
    const result = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "text.jsonl")]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/text\.jsonl:1: "input" is text, which needs --tokenizer FILE/);
  });

  it("generate writes output ids", () => {
    const result = run(["generate", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "ids.jsonl"), "--max-length", "3"]);
    expect(result.status, result.stderr).toBe(0);
    const output = lines(result.stdout) as { output_ids: number[] }[];
    expect(output).toHaveLength(2);
    for (const row of output) expect(row.output_ids.length).toBeLessThanOrEqual(3);
  });

  it("adapt then score with the adapter", () => {
    const adapters = path.join(scratch, "adapters");
    const adapted = run(["adapt", "--hypermodel", path.join(scratch, "hypermodel"), "--input", path.join(scratch, "few-shot.jsonl"), "--output", adapters]);
    expect(adapted.status, adapted.stderr).toBe(0);
    const [written] = lines(adapted.stdout) as { adapter: string; kind: string }[];
    expect(written).toEqual({ adapter: path.join(adapters, "task-a"), kind: "lora" });
    expect(fs.existsSync(path.join(adapters, "task-a", "adapter_config.json"))).toBe(true);
    const plain = lines(run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "ids.jsonl")]).stdout) as { scores: number[] }[];
    const withAdapter = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", path.join(scratch, "ids.jsonl"), "--adapter", written!.adapter]);
    expect(withAdapter.status, withAdapter.stderr).toBe(0);
    const adaptedScores = lines(withAdapter.stdout) as { scores: number[] }[];
    expect(Math.abs(adaptedScores[0]!.scores[0]! - plain[0]!.scores[0]!)).toBeGreaterThan(1e-4);
  });

  it("bad option exits with usage status", () => {
    const result = run(["score", "--max-length", "zero"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--max-length must be a positive integer, got "zero"/);
    expect(execFileSync(process.execPath, [pipeline, "t5", "--help"], { encoding: "utf8" })).toMatch(/t5 score/);
  });

  it("adapt rejects duplicate names", () => {
    const input = path.join(scratch, "duplicates.jsonl");
    fs.writeFileSync(input, '{"input_ids": [5, 1], "name": "dup"}\n{"input_ids": [6, 1], "name": "other"}\n{"input_ids": [7, 1], "name": "dup"}\n');
    const output = path.join(scratch, "duplicates-out");

    const result = run(["adapt", "--hypermodel", path.join(scratch, "hypermodel"), "--input", input, "--output", output]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${input}: lines 1 and 3 both name the adapter "dup"; names must be unique.`);
    expect(fs.existsSync(output)).toBe(false);
  });

  it("adapt rejects unsafe names", () => {
    const input = path.join(scratch, "unsafe.jsonl");
    fs.writeFileSync(input, '{"input_ids": [5, 1], "name": "../escape"}\n');
    const output = path.join(scratch, "unsafe-out");

    const result = run(["adapt", "--hypermodel", path.join(scratch, "hypermodel"), "--input", input, "--output", output]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${input}:1: field "name" has value "../escape"; expected a file name of letters, digits`);
    expect(fs.existsSync(path.join(scratch, "escape"))).toBe(false);
    expect(fs.existsSync(output)).toBe(false);
  });

  it("adapt overwrites only with --overwrite", () => {
    const output = path.join(scratch, "overwrite-out");
    const adapt = (extra: string[]): ReturnType<typeof run> =>
      run(["adapt", "--hypermodel", path.join(scratch, "hypermodel"), "--input", path.join(scratch, "few-shot.jsonl"), "--output", output, ...extra]);
    expect(adapt([]).status).toBe(0);
    const config = path.join(output, "task-a", "adapter_config.json");
    fs.writeFileSync(config, "kept");

    const refused = adapt([]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${path.join(output, "task-a")} already exists; pass --overwrite to replace.`);
    expect(fs.readFileSync(config, "utf8")).toBe("kept");

    const replaced = adapt(["--overwrite"]);
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain(`replacing ${path.join(output, "task-a")}`);
    expect(fs.readFileSync(config, "utf8")).not.toBe("kept");
  });

  it("checkpoint file suggests its folder", () => {
    const folder = path.join(scratch, "checkpoint");
    const result = run(["score", "--checkpoint", path.join(folder, "model.safetensors"), "--input", path.join(scratch, "ids.jsonl")]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`model.safetensors is a file; expected a folder with config.json (did you mean --checkpoint ${folder}?)`);
    expect(result.stderr).not.toContain("ENOTDIR");
  });

  it("out-of-range token id is named", () => {
    const input = path.join(scratch, "out-of-range.jsonl");
    fs.writeFileSync(input, '{"input_ids": [5, 1], "choices_ids": [[3, 1]]}\n{"input_ids": [5, 99999, 1], "choices_ids": [[3, 1]]}\n');
    const choices = path.join(scratch, "out-of-range-choice.jsonl");
    fs.writeFileSync(choices, '{"input_ids": [5, 1], "choices_ids": [[3, 1], [4, -1]]}\n');

    const inputResult = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", input]);
    const choiceResult = run(["score", "--checkpoint", path.join(scratch, "checkpoint"), "--input", choices]);

    expect(inputResult.status).toBe(1);
    expect(inputResult.stderr).toMatch(/out-of-range\.jsonl:2: field "input_ids"\[1\] has value 99999; expected a token id in \[0, \d+\)/);
    expect(choiceResult.stderr).toMatch(/out-of-range-choice\.jsonl:1: field "choices_ids"\[1\]\[1\] has value -1; expected a token id/);
  });

  it("unknown option message ends a sentence", () => {
    const result = run(["score", "--bogus"]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain("t5 score: Unknown option '--bogus'. Run `t5 score --help` for the options.");
  });

  it("subcommand help shows that subcommand", () => {
    const result = run(["score", "--help"]);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: npm run pipeline -- t5 score");
    expect(result.stdout).not.toContain("t5 adapt");
    expect(result.stdout).not.toContain("--hypermodel");
  });
});
