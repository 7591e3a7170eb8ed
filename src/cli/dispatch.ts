/**
 * Subcommand dispatch: maps the first argument to a command module and hands it the remaining arguments.
 * A command module default-exports `(argv: string[]) => Promise<number>` (the exit code) and prints its own
 * `--help`.
 */

export interface CommandEntry {
  /** Module path relative to this file's folder, e.g. `./run.js`. */
  module: string;
  summary: string;
}

export type CommandMain = (argv: string[]) => Promise<number>;

/** Every command of `npm run pipeline`, in the order `--help` lists them. */
export const commandTable: Record<string, CommandEntry> = {
  run: { module: "./run.js", summary: "build every stage of a profile that is not cached (the default command)" },
  plan: { module: "./plan.js", summary: "list every stage as cached or stale, and why a stale one is stale" },
  graph: { module: "./graph.js", summary: "print the task graph as Mermaid or DOT" },
  status: { module: "./status.js", summary: "show what the artifacts folder holds for a profile" },
  gc: { module: "./gc.js", summary: "remove cache entries not reachable from the named profiles" },
  clean: { module: "./clean.js", summary: "remove the cache entries of a stage (or a glob of stages)" },
  t5: { module: "./t5.js", summary: "score, generate or adapt with a T5 checkpoint (subcommands: score, generate, adapt)" },
};

const defaultCommand = "run";

function printHelp(table: Record<string, CommandEntry>): void {
  const width = Math.max(...Object.keys(table).map((name) => name.length));
  const lines = [
    "Usage: npm run pipeline -- [command] [options]",
    "",
    `Commands (default: ${defaultCommand}; \`<command> --help\` shows a command's options):`,
    ...Object.entries(table).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

/** Runs the command named by `argv[0]` (or `run` when the first argument is an option) and returns its exit code. */
export async function runCommand(argv: string[], table: Record<string, CommandEntry>): Promise<number> {
  const first = argv[0];
  if (first === "--help" || first === "-h" || first === "help") {
    printHelp(table);
    return 0;
  }
  const named = first !== undefined && !first.startsWith("-");
  const name = named ? first : defaultCommand;
  const entry = table[name];
  if (entry === undefined) {
    process.stderr.write(`Unknown command "${name}". Run \`npm run pipeline -- --help\` for the list of commands.\n`);
    return 2;
  }
  const loaded = (await import(new URL(entry.module, import.meta.url).href)) as { default: CommandMain };
  return loaded.default(named ? argv.slice(1) : argv);
}
