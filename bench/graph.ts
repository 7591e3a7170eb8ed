/**
 * Benchmark of the engine's overhead. It builds a synthetic graph of 500 small stages once, then times a fully
 * cached (no-op) `run` and a `plan` over it, next to `node -e 0` measured in the same process. It ends with one
 * JSON line of the figures: medians of `--repeats` runs, in milliseconds.
 *
 *   npm run bench:graph [-- --stages 500 --repeats 7 --keep]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pipelineEntry = path.join(distRoot, "pipeline.js");

const kindSource = `import fs from "node:fs";
import path from "node:path";
export default {
  async run(context) {
    const upstream = Object.keys(context.inputs).sort().join(",");
    fs.writeFileSync(path.join(context.outputDir, "out.txt"), context.stage.id + " <- " + upstream + "\\n");
    return { upstream: Object.keys(context.inputs).length };
  },
};
`;

/** Writes a layered graph: each stage reads two stages of the layer before it, so keys chain through the depth. */
function pipelineSource(stageCount: number, width: number, root: string): string {
  return `import path from "node:path";
export const profileSchema = { type: "object", additionalProperties: false, properties: { seed: { type: "integer" } } };
export function resolvePipeline(profile) {
  const stages = [];
  for (let index = 0; index < ${stageCount}; index += 1) {
    const layer = Math.floor(index / ${width});
    const position = index % ${width};
    const upstream = layer === 0 ? [] : [
      "layer" + (layer - 1) + "/stage" + position,
      "layer" + (layer - 1) + "/stage" + ((position + 1) % ${width}),
    ];
    stages.push({
      id: "layer" + layer + "/stage" + position,
      kind: "bench",
      kindModule: ${JSON.stringify(path.join(root, "code", "kind.mjs"))},
      params: { layer, position, seed: profile.seed ?? 0 },
      upstream: [...new Set(upstream)],
      code: ["code/kind.mjs"],
      resource: "cpu",
    });
  }
  return { stages };
}
`;
}

function timeCommand(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8" });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${String(result.status)}:\n${result.stdout}${result.stderr}`);
  return elapsedMs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      stages: { type: "string", default: "500" },
      repeats: { type: "string", default: "7" },
      keep: { type: "boolean", default: false },
    },
  });
  const stageCount = Number(values.stages);
  const repeats = Number(values.repeats);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hypertune-bench-graph-"));
  try {
    fs.mkdirSync(path.join(root, "code"));
    fs.writeFileSync(path.join(root, "code", "kind.mjs"), kindSource);
    fs.writeFileSync(path.join(root, "pipeline.mjs"), pipelineSource(stageCount, 10, root));
    fs.writeFileSync(path.join(root, "profile.json"), JSON.stringify({ seed: 1 }));
    const session = ["--pipeline", path.join(root, "pipeline.mjs"), "--project-root", root, "--artifacts", path.join(root, "artifacts"), "--profile", path.join(root, "profile.json")];

    process.stdout.write(`Building ${stageCount} stages once (one trainer process each)...\n`);
    const buildMs = timeCommand(process.execPath, [pipelineEntry, "run", ...session]);
    process.stdout.write(`  first build: ${(buildMs / 1000).toFixed(1)} s\n`);

    const noop: number[] = [];
    const plan: number[] = [];
    const node: number[] = [];
    // Interleaved, so a burst of load from other processes hits all three figures alike.
    for (let repeat = 0; repeat < repeats; repeat += 1) {
      node.push(timeCommand(process.execPath, ["-e", "0"]));
      noop.push(timeCommand(process.execPath, [pipelineEntry, "run", ...session]));
      plan.push(timeCommand(process.execPath, [pipelineEntry, "plan", ...session]));
    }
    const figures = {
      stages: stageCount,
      noop_run_ms: Math.round(median(noop)),
      plan_ms: Math.round(median(plan)),
      node_startup_ms: Math.round(median(node)),
      noop_ratio: Number((median(noop) / median(node)).toFixed(2)),
    };
    process.stdout.write(`Medians of ${repeats} runs on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}:\n`);
    process.stdout.write(`  no-op run: ${figures.noop_run_ms} ms\n  plan:      ${figures.plan_ms} ms\n  node -e 0: ${figures.node_startup_ms} ms\n`);
    process.stdout.write(`  no-op run / node start-up: ${figures.noop_ratio} (goal: at most 5)\n`);
    process.stdout.write(JSON.stringify(figures) + "\n");
  } finally {
    if (values.keep === true) process.stdout.write(`kept ${root}\n`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
