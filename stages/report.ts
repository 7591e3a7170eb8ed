/**
 * The `report` stage: reads the summaries of every upstream stage and writes `REPORT.md`, `report.json` and the
 * SVG figures into its output, then copies them to `reports/<profile>/` in the project.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { StageKind } from "../src/engine/stage.js";
import { buildReport, copyReport, writeReport } from "../src/report/build.js";
import { detectBackend } from "../src/models/backend-detect.js";

/** Project root: this module runs as `dist/stages/report.js`. */
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const report: StageKind = {
  async run(context) {
    const profile = context.stage.params.profile;
    if (typeof profile !== "string" || profile === "") {
      throw new Error(`Stage "${context.stage.id}": params.profile is ${JSON.stringify(profile)}, expected the profile name`);
    }
    const recordedDigest = context.stage.params.profileDigest;
    const built = await buildReport({
      profile,
      profileDigest: typeof recordedDigest === "string" ? recordedDigest : undefined,
      inputs: context.inputs,
      projectRoot,
      // The engine sets HYPERTUNE_RUN_STARTED (ISO 8601) for every stage; without it cache hits are unknown.
      runStartedAt: process.env.HYPERTUNE_RUN_STARTED,
      fallbackBackend: `${detectBackend(process.env.HYPERTUNE_BACKEND).name} (detected by the report stage)`,
    });
    const files = writeReport(built, context.outputDir);
    // HYPERTUNE_REPORTS moves the project copy, so tests and scratch runs leave reports/ alone.
    const reportsRoot = process.env.HYPERTUNE_REPORTS || path.join(projectRoot, "reports");
    const projectCopy = path.join(path.resolve(reportsRoot), profile);
    copyReport(context.outputDir, projectCopy);
    context.emit({ type: "log", level: "info", message: `Report written to ${path.join(projectCopy, "REPORT.md")}` });

    const filled = built.tables.flatMap((table) =>
      table.rows.flatMap((row) => (row.cells === null ? [] : Object.values(row.cells).filter((value) => value !== null))),
    ).length;
    return { profile, files, filledCells: filled, stageKeysDigest: built.provenance.stageKeysDigest };
  },
};

export default report;
