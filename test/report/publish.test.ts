import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildReport, writeReport } from "../../src/report/build.js";
import { PublishError, publishedName, publishReport, readReportJson } from "../../src/report/publish.js";
import { evalSummary, temporaryFolder, writeInputs } from "./artifact-fixtures.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const folders: string[] = [];

function scratch(prefix: string): string {
  const folder = temporaryFolder(prefix);
  folders.push(folder);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

/** Writes a finished report whose P3 HyperT5-Prefix scores start at `base`, and returns its folder. */
async function finishedReport(base: number, generatedAt: string): Promise<string> {
  const inputs = writeInputs(scratch("publish-artifacts"), [
    evalSummary("p3", "hyper-prefix", ["anli", "copa"], (index) => base + index),
    evalSummary("p3", "hyper-lora", ["anli", "copa"], (index) => base + index, { hyperpretrainSteps: 4 }),
  ]);
  const report = await buildReport({ profile: "smoke", inputs, projectRoot, now: new Date(generatedAt) });
  const folder = scratch("publish-report");
  writeReport(report, folder);
  return folder;
}

function snapshot(folder: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(folder).sort().map((name) => [name, fs.readFileSync(path.join(folder, name), "utf8")]));
}

describe("publish-report", () => {
  it("copies a report and indexes it", async () => {
    const source = await finishedReport(40, "2026-03-04T05:06:07.000Z");
    const published = scratch("published");
    const target = publishReport(source, published);

    const report = readReportJson(source);
    expect(path.basename(target)).toBe(`2026-03-04-${report.provenance.stageKeysDigest.slice(0, 12)}`);
    expect(snapshot(target)).toEqual(snapshot(source));
    const index = fs.readFileSync(path.join(published, "README.md"), "utf8");
    expect(index).toContain(`| [${path.basename(target)}](${path.basename(target)}/REPORT.md) | \`smoke\` | 2026-03-04 05:06:07Z |`);
    expect(index).toContain("| 40.5 |");
  });

  it("never overwrites an earlier publication", async () => {
    const source = await finishedReport(40, "2026-03-04T05:06:07.000Z");
    const published = scratch("published");
    const target = publishReport(source, published);
    const before = snapshot(target);

    fs.appendFileSync(path.join(source, "REPORT.md"), "\nedited after publishing\n");
    expect(() => publishReport(source, published)).toThrow(PublishError);
    expect(() => publishReport(source, published)).toThrow("exists already");
    expect(snapshot(target)).toEqual(before);
    expect(fs.readdirSync(published).sort()).toEqual([path.basename(target), "README.md"]);
  });

  it("lists runs oldest first", async () => {
    const later = await finishedReport(50, "2026-05-01T00:00:00.000Z");
    const earlier = await finishedReport(40, "2026-04-01T00:00:00.000Z");
    const published = scratch("published");
    publishReport(later, published);
    publishReport(earlier, published);
    const rows = fs.readFileSync(path.join(published, "README.md"), "utf8").split("\n").filter((line) => line.startsWith("| [2026"));
    expect(rows.map((row) => row.slice(3, 13))).toEqual(["2026-04-01", "2026-05-01"]);
    expect(publishedName(readReportJson(later))).not.toBe(publishedName(readReportJson(earlier)));
  });

  it("command fails on a second publication", async () => {
    const script = path.join(projectRoot, "dist", "scripts", "publish-report.js");
    expect(fs.existsSync(script), `${script} missing: run npm run build`).toBe(true);
    const source = await finishedReport(40, "2026-03-04T05:06:07.000Z");
    const published = scratch("published");
    const first = execFileSync(process.execPath, [script, "--from", source, "--to", published], { encoding: "utf8" });
    expect(first).toContain("Published");
    const second = spawnSync(process.execPath, [script, "--from", source, "--to", published], { encoding: "utf8" });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("exists already");
  });
});
