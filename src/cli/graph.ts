/** `graph`: prints the stage graph of a profile as Mermaid or Graphviz DOT. */
import { InputError } from "../engine/errors.js";
import { openSession } from "../engine/session.js";
import type { StageDefinition } from "../engine/stage.js";
import { parseCommand, resolveSessionOptions, sessionOptions, stringValue, withInputErrors, type CommandSpec } from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- graph [options]",
  summary: "Print the stage graph of the profile (edges point from an upstream stage to the stage that reads it).",
  options: [
    ...sessionOptions,
    { name: "format", type: "string", value: "FORMAT", description: "output format: mermaid or dot", defaultText: "mermaid" },
  ],
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    const format = stringValue(parsed, "format") ?? "mermaid";
    if (format !== "mermaid" && format !== "dot") throw new InputError(`--format ${format} is invalid: expected mermaid or dot.`);
    const session = await openSession(resolveSessionOptions(parsed));
    process.stdout.write(format === "mermaid" ? toMermaid(session.stages) : toDot(session.stages));
    return 0;
  });
}

/** Mermaid node ids must be plain words, so stages are numbered and labelled with their ids. */
export function toMermaid(stages: StageDefinition[]): string {
  const node = new Map(stages.map((stage, index) => [stage.id, `s${index}`]));
  const lines = ["flowchart LR"];
  for (const stage of stages) lines.push(`  ${node.get(stage.id)}["${stage.id}<br/><i>${stage.kind}</i>"]`);
  for (const stage of stages) {
    for (const upstream of stage.upstream) lines.push(`  ${node.get(upstream)} --> ${node.get(stage.id)}`);
  }
  return lines.join("\n") + "\n";
}

export function toDot(stages: StageDefinition[]): string {
  const lines = ["digraph pipeline {", "  rankdir=LR;", "  node [shape=box];"];
  for (const stage of stages) {
    const shape = stage.resource === "gpu" ? ", style=bold" : "";
    lines.push(`  ${JSON.stringify(stage.id)} [label=${JSON.stringify(`${stage.id}\n${stage.kind}`)}${shape}];`);
  }
  for (const stage of stages) {
    for (const upstream of stage.upstream) lines.push(`  ${JSON.stringify(upstream)} -> ${JSON.stringify(stage.id)};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
