/**
 * Reading the published entries of the upstream stages (`artifacts/<stage-id>/<key>/manifest.json`): key, engine
 * facts, timings and summary. The engine validates each manifest; this module then checks the result summary
 * against its record type.
 */
import path from "node:path";
import { readManifest } from "../engine/manifest.js";
import { parseResultSummary, type ResultSummary } from "./summaries.js";

/** Facts the report keeps of one upstream stage. */
export interface StageRecord {
  id: string;
  kind: string;
  key: string;
  /** Wall time of the run that published the stage, in seconds. */
  wallSeconds: number;
  /** When the stage was published (ISO 8601). */
  finishedAt: string;
  /** The TensorFlow.js backend in the stage key; null for a stage that does not use TensorFlow.js. */
  backend: string | null;
  /** The parsed result summary; undefined for stages that produce no result (download, tokenize). */
  result: ResultSummary | undefined;
  /** Folder of the published outputs. */
  folder: string;
}

/** Reads and checks the manifest of the published folder of stage `stageId`. */
export async function readStageRecord(stageId: string, folder: string): Promise<StageRecord> {
  const manifest = await readManifest(folder);
  if (manifest.stage !== stageId) {
    throw new Error(`${path.join(folder, "manifest.json")} describes stage "${manifest.stage}", but it was given as the input "${stageId}"`);
  }
  return {
    id: stageId,
    kind: manifest.record.kind,
    key: manifest.key,
    wallSeconds: manifest.timings.seconds,
    finishedAt: manifest.timings.finished,
    backend: manifest.record.engine.backend,
    result: parseResultSummary(manifest.summary, path.join(folder, "manifest.json")),
    folder,
  };
}

/** Reads every upstream stage, sorted by id so that the report does not depend on the order of `inputs`. */
export async function readStageRecords(inputs: { [stageId: string]: string }): Promise<StageRecord[]> {
  const records: StageRecord[] = [];
  for (const stageId of Object.keys(inputs).sort()) records.push(await readStageRecord(stageId, inputs[stageId]!));
  return records;
}
