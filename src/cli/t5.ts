/**
 * `t5 score | generate | adapt`: rank-classification scores, greedy generation and hypermodel adaptation from
 * JSON lines. Only result lines go to stdout, while logs and errors go to stderr.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  generateGreedy,
  HyperT5,
  initBackend,
  loadAdapter,
  loadT5,
  saveParameters,
  scoreChoices,
  type PeftParameters,
  type ScoringExample,
  type T5Model,
} from "../models/index.js";
import { loadTokenizer, type TextCodec } from "../models/text.js";

const scoreHelp = `  t5 score    --checkpoint DIR --input FILE.jsonl [--adapter PATH] [--tokenizer FILE]
      Each input line is {"input_ids": [...], "choices_ids": [[...], ...]} or {"input": "...", "choices": [...]}.
      Writes one line per input: {"scores": [...]}, the summed log-likelihood of each choice as the target
      (EOS counts only if it is in the ids or the tokenizer adds it).
`;
const generateHelp = `  t5 generate --checkpoint DIR --input FILE.jsonl [--adapter PATH] [--tokenizer FILE] [--max-length N]
      Each input line is {"input_ids": [...]} or {"input": "..."}. Writes {"output_ids": [...]} per line (plus
      "output" text with a tokenizer); greedy decoding stops at EOS or after --max-length tokens (default 64).
`;
const adaptHelp = `  t5 adapt    --hypermodel DIR --input FILE.jsonl --output DIR [--tokenizer FILE] [--overwrite]
      Each input line holds one task's few-shot examples: {"input_ids": [...]} or {"input": "..."}, and an
      optional "name" (letters, digits, ".", "_" and "-"; default adapter-LINE). Writes that task's generated
      adapter (a PEFT LoRA folder or a prefix .safetensors file) into --output and one line
      {"adapter": PATH, "kind": ...} per input. Names must be unique, and an existing adapter is only replaced with
      --overwrite. Score or generate with --adapter PATH afterwards, without the few-shot examples.
`;
const optionLines: Record<string, string> = {
  checkpoint: "  --checkpoint DIR   Hugging Face T5 folder (config.json + model.safetensors or a sharded index)",
  hypermodel: "  --hypermodel DIR   HyperT5 folder written by the training stages",
  input: "  --input FILE       JSON lines input",
  adapter: "  --adapter PATH     adapter to apply: a PEFT LoRA folder or a prefix .safetensors file",
  tokenizer: "  --tokenizer FILE   tokenizer.json, needed for text fields",
  output: '  --output DIR       folder for the adapters of "adapt"',
  overwrite: "  --overwrite        replace existing adapters in --output (adapt)",
  "max-length": "  --max-length N     maximum generated tokens (generate; default 64)",
  "batch-size": "  --batch-size N     rows per forward pass (default 16)",
  backend: "  --backend NAME     tensorflow, wasm or cpu (default: the best available)",
};
const optionsHelp = (names: string[]): string => `Options:\n${names.map((name) => optionLines[name]!).join("\n")}\n`;
const help = `Usage: npm run pipeline -- t5 <score|generate|adapt> [options]

${scoreHelp}${generateHelp}${adaptHelp}
${optionsHelp(Object.keys(optionLines))}`;
const subcommandHelp: Record<string, string> = {
  score: `Usage: npm run pipeline -- t5 score [options]\n\n${scoreHelp}\n${optionsHelp(["checkpoint", "input", "adapter", "tokenizer", "batch-size", "backend"])}`,
  generate: `Usage: npm run pipeline -- t5 generate [options]\n\n${generateHelp}\n${optionsHelp(["checkpoint", "input", "adapter", "tokenizer", "max-length", "batch-size", "backend"])}`,
  adapt: `Usage: npm run pipeline -- t5 adapt [options]\n\n${adaptHelp}\n${optionsHelp(["hypermodel", "input", "output", "tokenizer", "overwrite", "backend"])}`,
};

interface Options {
  checkpoint?: string;
  hypermodel?: string;
  input?: string;
  adapter?: string;
  tokenizer?: string;
  output?: string;
  overwrite: boolean;
  maxLength: number;
  batchSize: number;
  backend?: string;
}

class UsageError extends Error {}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer, got "${value}".`);
  return parsed;
}

function required(value: string | undefined, name: string, command: string): string {
  if (value === undefined) throw new UsageError(`t5 ${command} needs --${name}.`);
  return value;
}

/** Parses the JSON lines of a file. Errors name the file and line. */
function readLines(file: string): { line: number; value: Record<string, unknown> }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read (${(error as Error).message}).`);
  }
  const rows: { line: number; value: Record<string, unknown> }[] = [];
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${file}:${index + 1}: invalid JSON (${(error as Error).message}).`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${file}:${index + 1}: expected a JSON object.`);
    rows.push({ line: index + 1, value: value as Record<string, unknown> });
  });
  return rows;
}

/** Checks that `ids` (the value of `field`) is an array of token ids of the vocabulary; errors name the bad element. */
function checkTokenIds(ids: unknown, field: string, where: string, vocabSize: number): number[] {
  if (!Array.isArray(ids)) throw new Error(`${where}: field ${field} has value ${JSON.stringify(ids)}; expected an array of token ids.`);
  ids.forEach((id: unknown, index) => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      throw new Error(`${where}: field ${field}[${index}] has value ${JSON.stringify(id)}; expected a token id in [0, ${vocabSize}).`);
    }
  });
  return ids as number[];
}

/** Token ids from `idsField` or, through the tokenizer, from `textField`. */
function idsOf(row: Record<string, unknown>, idsField: string, textField: string, where: string, tokenizer: TextCodec | undefined, vocabSize: number): number[] {
  const ids = row[idsField];
  if (ids !== undefined) return checkTokenIds(ids, `"${idsField}"`, where, vocabSize);
  const text = row[textField];
  if (typeof text !== "string") throw new Error(`${where}: needs "${idsField}" (token ids) or "${textField}" (text).`);
  if (tokenizer === undefined) throw new Error(`${where}: "${textField}" is text, which needs --tokenizer FILE.`);
  return tokenizer.encode(text);
}

function choicesOf(row: Record<string, unknown>, where: string, tokenizer: TextCodec | undefined, vocabSize: number): number[][] {
  const ids = row.choices_ids;
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length === 0) throw new Error(`${where}: "choices_ids" must be a non-empty array of id arrays.`);
    return ids.map((choice: unknown, index) => checkTokenIds(choice, `"choices_ids"[${index}]`, where, vocabSize));
  }
  const texts = row.choices;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((text) => typeof text === "string")) {
    throw new Error(`${where}: needs "choices_ids" or "choices" (a non-empty array of strings).`);
  }
  if (tokenizer === undefined) throw new Error(`${where}: "choices" are text, which needs --tokenizer FILE.`);
  return (texts as string[]).map((text) => tokenizer.encode(text));
}

function writeLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function log(line: string): void {
  process.stderr.write(line + "\n");
}

/**
 * Checks that `--NAME folder` is a model folder with a config.json. A common mistake is to name the weights file
 * itself, which would otherwise fail with a raw ENOTDIR on `model.safetensors/config.json`.
 */
function checkModelFolder(folder: string, name: string): string {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(folder);
  } catch {
    throw new UsageError(`--${name} ${folder} does not exist; expected a folder with config.json.`);
  }
  if (!stats.isDirectory()) {
    const parent = path.dirname(folder);
    throw new UsageError(`--${name} ${folder} is a file; expected a folder with config.json (did you mean --${name} ${parent}?).`);
  }
  if (!fs.existsSync(path.join(folder, "config.json"))) {
    throw new UsageError(`--${name} ${folder} has no config.json; expected a Hugging Face T5 folder (config.json + model.safetensors).`);
  }
  return folder;
}

async function withModel<T>(options: Options, command: string, run: (model: T5Model, peft: PeftParameters | undefined) => T): Promise<T> {
  const model = loadT5(checkModelFolder(required(options.checkpoint, "checkpoint", command), "checkpoint"));
  const adapter = options.adapter === undefined ? undefined : loadAdapter(model.config, options.adapter);
  try {
    return run(model, adapter?.parameters());
  } finally {
    adapter?.dispose();
    model.dispose();
  }
}

async function score(options: Options): Promise<void> {
  const input = required(options.input, "input", "score");
  const tokenizer = options.tokenizer === undefined ? undefined : loadTokenizer(options.tokenizer);
  await withModel(options, "score", (model, peft) => {
    const rows = readLines(input);
    const examples: ScoringExample[] = rows.map(({ line, value }) => ({
      inputIds: idsOf(value, "input_ids", "input", `${input}:${line}`, tokenizer, model.config.vocab_size),
      choices: choicesOf(value, `${input}:${line}`, tokenizer, model.config.vocab_size),
    }));
    log(`scoring ${examples.length} inputs`);
    for (const scores of scoreChoices(model, examples, { peft, batchSize: options.batchSize })) writeLine({ scores });
  });
}

async function generate(options: Options): Promise<void> {
  const input = required(options.input, "input", "generate");
  const tokenizer = options.tokenizer === undefined ? undefined : loadTokenizer(options.tokenizer);
  await withModel(options, "generate", (model, peft) => {
    const rows = readLines(input);
    const inputs = rows.map(({ line, value }) => idsOf(value, "input_ids", "input", `${input}:${line}`, tokenizer, model.config.vocab_size));
    log(`generating for ${inputs.length} inputs (at most ${options.maxLength} tokens each)`);
    for (const ids of generateGreedy(model, inputs, { peft, maxLength: options.maxLength, batchSize: options.batchSize })) {
      writeLine(tokenizer === undefined ? { output_ids: ids } : { output_ids: ids, output: tokenizer.decode(ids) });
    }
  });
}

const adapterNamePattern = /^[A-Za-z0-9._-]+$/;

/**
 * Returns the adapter name of each input line: its "name", or `adapter-LINE` without one. Rejects names that are
 * not a plain file name (such as `../escape`) and names used twice, before any adapter is generated.
 */
function adapterNames(rows: { line: number; value: Record<string, unknown> }[], input: string): string[] {
  const lineOfName = new Map<string, number>();
  return rows.map(({ line, value }) => {
    const given = value.name;
    if (given !== undefined && (typeof given !== "string" || !adapterNamePattern.test(given) || given === "." || given === "..")) {
      throw new UsageError(
        `${input}:${line}: field "name" has value ${JSON.stringify(given)}; expected a file name of letters, digits, ".", "_" and "-".`,
      );
    }
    const name = given ?? `adapter-${line}`;
    const earlier = lineOfName.get(name);
    if (earlier !== undefined) throw new UsageError(`${input}: lines ${earlier} and ${line} both name the adapter "${name}"; names must be unique.`);
    lineOfName.set(name, line);
    return name;
  });
}

async function adapt(options: Options): Promise<void> {
  const input = required(options.input, "input", "adapt");
  const output = required(options.output, "output", "adapt");
  const tokenizer = options.tokenizer === undefined ? undefined : loadTokenizer(options.tokenizer);
  const rows = readLines(input);
  const names = adapterNames(rows, input);
  const hyper = HyperT5.load(checkModelFolder(required(options.hypermodel, "hypermodel", "adapt"), "hypermodel"));
  try {
    const targets = names.map((name) => path.join(output, hyper.kind === "prefix" ? `${name}.safetensors` : name));
    const existing = targets.filter((target) => fs.existsSync(target));
    if (existing.length > 0 && !options.overwrite) {
      throw new UsageError(`${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; pass --overwrite to replace.`);
    }
    const inputs = rows.map(({ line, value }) => idsOf(value, "input_ids", "input", `${input}:${line}`, tokenizer, hyper.config.vocab_size));
    fs.mkdirSync(output, { recursive: true });
    for (const [index, ids] of inputs.entries()) {
      const target = targets[index]!;
      if (existing.includes(target)) log(`replacing ${target} (--overwrite)`);
      const parameters = hyper.generateOne(ids);
      try {
        const kind = await saveParameters(hyper.config, parameters, target);
        writeLine({ adapter: target, kind });
      } finally {
        for (const tensor of Object.values(parameters.tensors)) tensor.dispose();
      }
    }
  } finally {
    hyper.dispose();
  }
}

export default async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(help);
    return command === undefined ? 2 : 0;
  }
  const commandHelp = subcommandHelp[command] ?? help;
  let options: Options;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        checkpoint: { type: "string" },
        hypermodel: { type: "string" },
        input: { type: "string" },
        adapter: { type: "string" },
        tokenizer: { type: "string" },
        output: { type: "string" },
        overwrite: { type: "boolean" },
        "max-length": { type: "string" },
        "batch-size": { type: "string" },
        backend: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(commandHelp);
      return 0;
    }
    options = {
      checkpoint: values.checkpoint,
      hypermodel: values.hypermodel,
      input: values.input,
      adapter: values.adapter,
      tokenizer: values.tokenizer,
      output: values.output,
      overwrite: values.overwrite === true,
      maxLength: positiveInteger(values["max-length"], "max-length", 64),
      batchSize: positiveInteger(values["batch-size"], "batch-size", 16),
      backend: values.backend,
    };
  } catch (error) {
    const message = (error as Error).message;
    const help = command in subcommandHelp ? `t5 ${command} --help` : "t5 --help";
    log(`t5 ${command}: ${message}${/[.!?]$/.test(message) ? "" : "."} Run \`${help}\` for the options.`);
    return 2;
  }
  const commands: Record<string, (options: Options) => Promise<void>> = { score, generate, adapt };
  const run = commands[command];
  if (run === undefined) {
    log(`Unknown t5 subcommand "${command}": expected score, generate or adapt.`);
    return 2;
  }
  try {
    await initBackend(options.backend, log);
    await run(options);
    return 0;
  } catch (error) {
    log(`t5 ${command} failed: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
