/**
 * Publishing a finished report: a copy under `reports/published/<date>-<short digest>/` that is never
 * overwritten, and an index table of every published run in `reports/published/README.md`.
 */
import fs from "node:fs";
import path from "node:path";
import { copyReport, reportFileName, reportJsonFileName } from "./build.js";
import type { Report } from "./model.js";
import { validateReport } from "./schema.js";

export const indexFileName = "README.md";
/** Hex digits of the stage keys digest in a published folder's name. */
const shortDigestLength = 12;

export class PublishError extends Error {
  override name = "PublishError";
}

export function readReportJson(folder: string): Report {
  const file = path.join(folder, reportJsonFileName);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PublishError(`No report found: ${file} does not exist. Run the pipeline for the profile first.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PublishError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  validateReport(data, file);
  return data;
}

/**
 * Name of the published folder: the report's generation date (UTC) and the start of its stage keys digest, so
 * the same results published twice map to the same folder.
 */
export function publishedName(report: Report): string {
  const date = report.provenance.generatedAt.slice(0, 10);
  return `${date}-${report.provenance.stageKeysDigest.slice(0, shortDigestLength)}`;
}

/**
 * Copies the report in `source` to a new folder under `publishedRoot` and rewrites the index. Throws a
 * `PublishError` when that folder exists already, leaving it untouched.
 */
export function publishReport(source: string, publishedRoot: string): string {
  const report = readReportJson(source);
  const target = path.join(publishedRoot, publishedName(report));
  if (fs.existsSync(target)) {
    throw new PublishError(`${target} exists already: a report is never published over an earlier one.`);
  }
  // Copying into a staging folder and renaming it means an interrupted copy never leaves a half-published run.
  const staging = path.join(publishedRoot, `.staging-${process.pid}-${path.basename(target)}`);
  fs.rmSync(staging, { recursive: true, force: true });
  copyReport(source, staging);
  try {
    // mkdir without `recursive` fails if another process published the same folder meanwhile.
    fs.mkdirSync(target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new PublishError(`${target} exists already: a report is never published over an earlier one.`);
    }
    throw error;
  }
  fs.renameSync(staging, target);
  writeIndex(publishedRoot);
  return target;
}

function indexRow(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
}

/** HyperT5-Prefix's P3 average: the headline comparison of table 1 of HyperTuning (Phang et al., 2022). */
function headline(report: Report): string {
  const row = report.tables.find((table) => table.id === "p3")?.rows.find((candidate) => candidate.label === "HyperT5-Prefix");
  const value = row?.cells?.average;
  return value === null || value === undefined ? "—" : value.toFixed(1);
}

/** Rewrites the index table from the published folders, oldest first. */
export function writeIndex(publishedRoot: string): void {
  const folders = fs
    .readdirSync(publishedRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
  const lines = [
    "# Published reports",
    "",
    "Each folder is a copy of a finished pipeline report, named `<date>-<stage keys digest>`. Published folders are never overwritten.",
    "",
    indexRow(["Report", "Profile", "Generated (UTC)", "Commit", "Backend", "HyperT5-Prefix P3 AVG", "Stage time, summed"]),
    indexRow(["---", "---", "---", "---", "---", "---:", "---:"]),
  ];
  for (const name of folders) {
    const report = readReportJson(path.join(publishedRoot, name));
    const provenance = report.provenance;
    const commit = provenance.gitCommit === null ? "unknown" : `\`${provenance.gitCommit.slice(0, 10)}\`${provenance.gitDirty ? " (dirty)" : ""}`;
    lines.push(
      indexRow([
        `[${name}](${name}/${reportFileName})`,
        `\`${report.profile}\``,
        provenance.generatedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
        commit,
        provenance.backend ?? "not recorded",
        headline(report),
        `${(provenance.totalWallSeconds / 60).toFixed(1)} min`,
      ]),
    );
  }
  fs.writeFileSync(path.join(publishedRoot, indexFileName), lines.join("\n") + "\n");
}
