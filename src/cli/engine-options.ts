/**
 * Option parsing and help text shared by the engine's commands (`run`, `plan`, `graph`, `status`, `gc`,
 * `clean`). Built on `node:util` `parseArgs`, which costs nothing to load on the no-op path.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { InputError } from "../engine/errors.js";
import { defaultArtifactsDir, defaultPipelineFile, defaultProjectRoot } from "../engine/project.js";
import { defaultProfileName } from "../engine/profile.js";
import type { SessionOptions } from "../engine/session.js";

export interface OptionSpec {
  name: string;
  type: "string" | "boolean";
  multiple?: boolean;
  /** Placeholder in the help text, e.g. `NAME`. */
  value?: string;
  /** What the option sets, with its unit. */
  description: string;
  /** The default, as the help text shows it. */
  defaultText?: string;
}

export const profileOption: OptionSpec = {
  name: "profile",
  type: "string",
  value: "NAME",
  description: "profile to use: profiles/NAME.json, or a path to a JSON file",
  defaultText: defaultProfileName,
};
export const artifactsOption: OptionSpec = {
  name: "artifacts",
  type: "string",
  value: "DIR",
  description: "artifacts folder (the cache)",
  defaultText: "$HYPERTUNE_ARTIFACTS if set, else artifacts/ in the project root",
};
export const pipelineOption: OptionSpec = {
  name: "pipeline",
  type: "string",
  value: "FILE",
  description: "compiled pipeline module exporting profileSchema and resolvePipeline",
  defaultText: "dist/stages/index.js in the project root",
};
export const projectRootOption: OptionSpec = {
  name: "project-root",
  type: "string",
  value: "DIR",
  description: "folder that stage code globs and profile names are relative to",
  defaultText: "the folder holding dist/",
};
export const backendOption: OptionSpec = {
  name: "backend",
  type: "string",
  value: "NAME",
  description: "TensorFlow.js backend: tensorflow, wasm, cpu or auto (best installed); part of the key of stages using TensorFlow.js",
  defaultText: "auto",
};
/** The glob rules, for the help text of the commands that take stage globs. */
export const stageGlobRules =
  "Stage globs: a stage id matches itself. In a glob, `*` matches within one `/`-separated part of an id and\n" +
  "does not cross `/`, `**` matches any number of parts, `?` one character, `{a,b}` either alternative.\n" +
  "So `mtf/*` matches `mtf/p3` but not `mtf/p3/hyper-lora`, and `mtf/**` matches both. Quote globs for the shell.";

const helpOption: OptionSpec = { name: "help", type: "boolean", description: "print this help and exit" };

/** The options that locate a session: profile, artifacts, pipeline module, project root and backend. */
export const sessionOptions: OptionSpec[] = [profileOption, artifactsOption, pipelineOption, projectRootOption, backendOption];

export interface CommandSpec {
  usage: string;
  summary: string;
  options: OptionSpec[];
  allowPositionals?: boolean;
  /** Text printed after the options, e.g. the rules of stage globs. */
  notes?: string;
}

export interface ParsedCommand {
  values: { [name: string]: string | boolean | string[] | undefined };
  positionals: string[];
}

export function helpText(command: CommandSpec): string {
  const options = [...command.options, helpOption];
  const heads = options.map((option) => `--${option.name}${option.value !== undefined ? ` ${option.value}` : ""}`);
  const width = Math.max(...heads.map((head) => head.length));
  const lines = options.map((option, index) => {
    const repeat = option.multiple === true ? " (repeatable)" : "";
    const fallback = option.defaultText !== undefined ? ` [default: ${option.defaultText}]` : "";
    return `  ${heads[index]!.padEnd(width)}  ${option.description}${repeat}${fallback}`;
  });
  const notes = command.notes !== undefined ? ["", command.notes] : [];
  return [`Usage: ${command.usage}`, "", command.summary, "", "Options:", ...lines, ...notes].join("\n") + "\n";
}

/** Parses `argv`; returns undefined after printing help when `--help` was given. Throws `InputError` on bad options. */
export function parseCommand(argv: string[], command: CommandSpec): ParsedCommand | undefined {
  const options = Object.fromEntries(
    [...command.options, helpOption].map((option) => [option.name, { type: option.type, multiple: option.multiple ?? false }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: command.allowPositionals ?? false, strict: true });
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n\n${helpText(command)}`);
  }
  if (parsed.values.help === true) {
    process.stdout.write(helpText(command));
    return undefined;
  }
  return { values: parsed.values as ParsedCommand["values"], positionals: parsed.positionals };
}

export function stringValue(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

export function listValue(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value : [];
}

/** A positive integer option, or `fallback` when absent. */
export function integerValue(parsed: ParsedCommand, name: string, fallback: number, minimum: number): number {
  const text = stringValue(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) {
    throw new InputError(`--${name} ${text} is invalid: expected an integer of at least ${minimum}.`);
  }
  return value;
}

const backends = ["tensorflow", "wasm", "cpu", "auto"];

/** Session options from the parsed command line, with their defaults. `profile` may be overridden. */
export function resolveSessionOptions(parsed: ParsedCommand, profile?: string): SessionOptions {
  const projectRoot = stringValue(parsed, "project-root") ?? defaultProjectRoot();
  const backend = stringValue(parsed, "backend") ?? "auto";
  if (!backends.includes(backend)) throw new InputError(`--backend ${backend} is invalid: expected one of ${backends.join(", ")}.`);
  return {
    projectRoot,
    pipelineFile: stringValue(parsed, "pipeline") ?? defaultPipelineFile(projectRoot),
    profile: profile ?? stringValue(parsed, "profile") ?? defaultProfileName,
    artifactsDir: stringValue(parsed, "artifacts") ?? defaultArtifactsDir(projectRoot),
    backend,
  };
}

export const defaultJobs = os.availableParallelism();

/** Runs a command body, printing an `InputError` as a plain message (exit code 2). */
export async function withInputErrors(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
}
