/** `plan`: lists every stage as cached or stale and says why a stale stage is stale. */
import { matchStages } from "../engine/graph.js";
import { planStages } from "../engine/plan.js";
import { openSession } from "../engine/session.js";
import {
  listValue,
  parseCommand,
  resolveSessionOptions,
  sessionOptions,
  stageGlobRules,
  withInputErrors,
  type CommandSpec,
} from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- plan [options]",
  summary:
    "List every stage of the profile as cached or stale. For a stale stage, name what differs from its newest cached\n" +
    "entry: a parameter, a code file, an upstream stage's output or an engine fact (Node, package versions, backend).",
  options: [
    ...sessionOptions,
    { name: "json", type: "boolean", description: "print one JSON object per stage instead of a table" },
    { name: "only", type: "string", multiple: true, value: "GLOB", description: "list only the stages whose ids match" },
  ],
  notes: stageGlobRules,
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    const session = await openSession(resolveSessionOptions(parsed));
    const only = listValue(parsed, "only");
    const selected = only.length > 0 ? await matchStages(session.stages, only, "--only") : undefined;
    // Every stage is planned, because a selected stage's key depends on its upstream stages.
    const planned = (await planStages(session)).filter((stage) => selected === undefined || selected.has(stage.id));
    if (parsed.values.json === true) {
      process.stdout.write(planned.map((stage) => JSON.stringify(stage)).join("\n") + "\n");
      return 0;
    }
    const width = Math.max(...planned.map((stage) => stage.id.length));
    const lines = planned.map((stage) => {
      const head = `${stage.state.padEnd(6)}  ${stage.id.padEnd(width)}`;
      return stage.reasons.length === 0 ? head.trimEnd() : `${head}  ${stage.reasons.join("\n" + " ".repeat(width + 10))}`;
    });
    const stale = planned.filter((stage) => stage.state === "stale").length;
    lines.push(`${planned.length} stages: ${planned.length - stale} cached, ${stale} stale (profile ${session.profile.name})`);
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  });
}
