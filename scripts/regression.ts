/**
 * `npm run regression -- [options]`: runs the smoke profile through the pipeline (reusing the cache), compares
 * its report's metrics with the committed baseline within each metric's declared tolerance, prints the
 * differences and exits with 1 when a metric got worse or went missing.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { copyReport } from "../src/report/build.js";
import { newestReportEntry } from "../src/report/locate.js";
import { readReportJson } from "../src/report/publish.js";
import { baselineFromReport, compareWithBaseline, formatComparison, readBaseline, reportMetrics } from "../src/report/regression.js";

/** Project root: this module runs as `dist/scripts/regression.js`. */
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const help = `Usage: npm run regression -- [options]

Runs \`node dist/pipeline.js run --profile PROFILE\` (cached stages are reused), then compares the metrics of
the profile's report with the baseline: every table cell of ours (scores in %, higher is better) and every
final training loss (lower is better). A metric that moved in its bad direction by more than its tolerance, or
that is missing, fails the check (exit code 1). Tolerances are declared per metric in the baseline file.
Exit code 2 means the check could not run: the pipeline failed, or no report or baseline was found.

Options:
  --profile NAME      profile to run (default: smoke)
  --baseline FILE     baseline file (default: reports/baseline/PROFILE.json)
  --update-baseline   write the baseline from this run instead of comparing; tolerances already declared
                      in the baseline are kept, new metrics get the defaults (2 points for an AVG cell,
                      5 points for a task cell, 5% for a loss)
  --artifacts DIR     artifacts folder (default: $HYPERTUNE_ARTIFACTS or artifacts/)
  --skip-run          compare the newest report already in the artifacts folder without running the pipeline
  --report-dir DIR    where to copy the compared report (default: reports/PROFILE)
  --backend NAME      tensor backend for the pipeline run: tensorflow, wasm or cpu (default: the backend
                      recorded in the baseline, so the values are comparable; when writing a baseline, the
                      pipeline's own choice)
  -h, --help          show this help
`;

function defaultArtifacts(): string {
  const fromEnvironment = process.env.HYPERTUNE_ARTIFACTS;
  return fromEnvironment !== undefined && fromEnvironment !== "" ? path.resolve(fromEnvironment) : path.join(projectRoot, "artifacts");
}

async function runPipeline(profile: string, artifactsDir: string, backend: string | undefined): Promise<boolean> {
  const args = [path.join(projectRoot, "dist", "pipeline.js"), "run", "--profile", profile, "--artifacts", artifactsDir];
  if (backend !== undefined) args.push("--backend", backend);
  process.stdout.write(`Running: node ${args.map((arg) => path.relative(process.cwd(), arg) || arg).join(" ")}\n`);
  const result = await execa(process.execPath, args, { cwd: projectRoot, stdio: "inherit", reject: false });
  return result.exitCode === 0;
}

/** Runs the check; an error in reading the report or the baseline is printed and gives exit code 2. */
/**
 * Reads the backend recorded in the baseline, so that a comparison runs on the backend its values came from.
 * Returns undefined, the pipeline's own choice, when writing a new baseline or when none is recorded.
 */
function baselineBackend(baselineFile: string, updating: boolean | undefined): string | undefined {
  if (updating === true || !fs.existsSync(baselineFile)) return undefined;
  const recorded = readBaseline(baselineFile).backend;
  // A report names a backend the report stage detected itself as "<name> (detected by the report stage)".
  return typeof recorded === "string" ? recorded.split(/[ ,]/)[0] : undefined;
}

async function main(argv: string[]): Promise<number> {
  try {
    return await check(argv);
  } catch (error) {
    process.stderr.write(`regression: ${(error as Error).message}\n`);
    return 2;
  }
}

async function check(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        profile: { type: "string", default: "smoke" },
        baseline: { type: "string" },
        "update-baseline": { type: "boolean", default: false },
        artifacts: { type: "string" },
        "skip-run": { type: "boolean", default: false },
        "report-dir": { type: "string" },
        backend: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${help}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const profile = values.profile;
  const artifactsDir = path.resolve(values.artifacts ?? defaultArtifacts());
  const baselineFile = path.resolve(values.baseline ?? path.join(projectRoot, "reports", "baseline", `${profile}.json`));
  const reportDir = path.resolve(values["report-dir"] ?? path.join(projectRoot, "reports", profile));

  const backend = values.backend ?? baselineBackend(baselineFile, values["update-baseline"]);
  if (!values["skip-run"] && !(await runPipeline(profile, artifactsDir, backend))) {
    process.stderr.write(`regression: the pipeline run of profile "${profile}" failed; see its output above.\n`);
    return 2;
  }
  const entry = await newestReportEntry(artifactsDir, profile);
  if (entry === undefined) {
    process.stderr.write(`regression: no report of profile "${profile}" found in ${artifactsDir}. Run the pipeline for it first.\n`);
    return 2;
  }
  const report = readReportJson(entry.dir);
  copyReport(entry.dir, reportDir);
  process.stdout.write(`Report: ${path.relative(process.cwd(), path.join(reportDir, "REPORT.md"))} (stage key ${entry.manifest.key.slice(0, 12)})\n`);

  if (values["update-baseline"]) {
    const previous = fs.existsSync(baselineFile) ? readBaseline(baselineFile) : undefined;
    const baseline = baselineFromReport(report, previous, new Date());
    fs.mkdirSync(path.dirname(baselineFile), { recursive: true });
    fs.writeFileSync(baselineFile, JSON.stringify(baseline, null, 2) + "\n");
    process.stdout.write(`Baseline written: ${path.relative(process.cwd(), baselineFile)} (${Object.keys(baseline.metrics).length} metrics)\n`);
    return 0;
  }

  if (!fs.existsSync(baselineFile)) {
    process.stderr.write(`regression: baseline ${baselineFile} not found. Create it with --update-baseline.\n`);
    return 2;
  }
  const baseline = readBaseline(baselineFile);
  if (baseline.profile !== profile) {
    process.stderr.write(`regression: baseline ${baselineFile} is for profile "${baseline.profile}", not "${profile}".\n`);
    return 2;
  }
  const comparison = compareWithBaseline(baseline, reportMetrics(report));
  process.stdout.write(formatComparison(comparison) + "\n");
  return comparison.passed ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
