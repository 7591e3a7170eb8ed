import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildReport, writeReport } from "../../src/report/build.js";
import type { Report } from "../../src/report/model.js";
import { ReportSchemaError, validateReport } from "../../src/report/schema.js";
import { evalSummary, temporaryFolder, writeInputs } from "./artifact-fixtures.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

async function sampleReport(): Promise<Report> {
  const artifacts = temporaryFolder("schema");
  folders.push(artifacts);
  const inputs = writeInputs(artifacts, [
    evalSummary("p3", "hyper-prefix", ["anli", "copa"], (index) => 40 + index, { hyperpretrainSteps: 2 }),
    evalSummary("p3", "hyper-prefix", ["anli", "copa"], (index) => 45 + index, { hyperpretrainSteps: 4 }),
  ]);
  return buildReport({ profile: "smoke", inputs, projectRoot });
}

function rejection(value: unknown): ReportSchemaError {
  try {
    validateReport(value, "report.json");
  } catch (error) {
    if (error instanceof ReportSchemaError) return error;
    throw error;
  }
  throw new Error("report passed validation");
}

describe("report.json schema", () => {
  it("accepts a built report", async () => {
    const report = await sampleReport();
    expect(() => validateReport(JSON.parse(JSON.stringify(report)), "report.json")).not.toThrow();
  });

  it("rejects a score written as text", async () => {
    const report = await sampleReport();
    (report.tables[0]!.rows[0]!.cells as Record<string, unknown>).average = "54.6";
    const error = rejection(report);
    expect(error.message).toContain("/tables/0/rows/0/cells/average");
  });

  it("rejects missing provenance and unknown fields", async () => {
    const report = (await sampleReport()) as unknown as Record<string, unknown>;
    delete report.provenance;
    report.extra = true;
    const error = rejection(report);
    expect(error.errors.some((problem) => problem.params.missingProperty === "provenance")).toBe(true);
    expect(error.errors.some((problem) => problem.params.additionalProperty === "extra")).toBe(true);
  });

  it("rejects a malformed stage keys digest and date", async () => {
    const report = await sampleReport();
    report.provenance.stageKeysDigest = "not-a-digest";
    expect(rejection(report).message).toContain("/provenance/stageKeysDigest");
    const dated = await sampleReport();
    dated.provenance.generatedAt = "yesterday";
    expect(rejection(dated).message).toContain("/provenance/generatedAt");
  });

  it("writes nothing for an invalid report", async () => {
    const report = await sampleReport();
    report.plots[0]!.file = "../outside.svg";
    const out = temporaryFolder("schema-out");
    folders.push(out);
    expect(() => writeReport(report, out)).toThrow(ReportSchemaError);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
