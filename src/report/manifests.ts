/**
 * Reading the published entries of the upstream stages (`artifacts/<stage-id>/<key>/manifest.json`): key, engine
 * facts, timings and summary. The engine validates each manifest; this module then checks the result summary
 * against its record type.
 */
import fs from "node:fs";
import path from "node:path";
import { readManifest, type Manifest } from "../engine/manifest.js";
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
  /** Outputs digest of each upstream stage, by stage id, from the key record. */
  upstream: { [stageId: string]: string };
  outputsDigest: string;
}

/** Reads and checks the manifest of the published folder of stage `stageId`. */
export async function readStageRecord(stageId: string, folder: string): Promise<StageRecord> {
  const manifest = await readManifest(folder);
  if (manifest.stage !== stageId) {
    throw new Error(`${path.join(folder, "manifest.json")} describes stage "${manifest.stage}", but it was given as the input "${stageId}"`);
  }
  return recordOf(stageId, folder, manifest);
}

function recordOf(stageId: string, folder: string, manifest: Manifest): StageRecord {
  return {
    id: stageId,
    kind: manifest.record.kind,
    key: manifest.key,
    wallSeconds: manifest.timings.seconds,
    finishedAt: manifest.timings.finished,
    backend: manifest.record.engine.backend,
    result: parseResultSummary(manifest.summary, path.join(folder, "manifest.json")),
    folder,
    upstream: manifest.record.upstream,
    outputsDigest: manifest.outputsDigest,
  };
}

/** Reads every upstream stage, sorted by id so that the report does not depend on the order of `inputs`. */
export async function readStageRecords(inputs: { [stageId: string]: string }): Promise<StageRecord[]> {
  const records: StageRecord[] = [];
  for (const stageId of Object.keys(inputs).sort()) records.push(await readStageRecord(stageId, inputs[stageId]!));
  return records;
}

/** The direct inputs of the report and every stage further upstream that could be found. */
export interface StageGraphRecords {
  /** The report's own inputs, whose summaries fill the tables. */
  inputs: StageRecord[];
  /** The inputs and every stage upstream of them, sorted by id. */
  all: StageRecord[];
  /** Ids of stages further upstream whose entry is no longer in the artifacts folder (removed by `gc`). */
  unresolved: string[];
}

/** The artifacts folder that holds `folder`, the entry `<root>/<stage-id>/<key>/` of `stageId`. */
function artifactsRootOf(stageId: string, folder: string): string {
  return path.resolve(folder, ...stageId.split("/").map(() => ".."), "..");
}

/**
 * Finds the entry of `stageId` whose outputs digest is `outputsDigest`. Key records name upstream stages by their
 * outputs digest, not their key, so several entries can match; the one that finished last is taken.
 */
async function findEntry(root: string, stageId: string, outputsDigest: string): Promise<StageRecord | undefined> {
  const stageFolder = path.join(root, stageId);
  let keys: string[];
  try {
    keys = fs.readdirSync(stageFolder).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return undefined;
  }
  let newest: StageRecord | undefined;
  for (const key of keys) {
    const folder = path.join(stageFolder, key);
    if (!fs.existsSync(path.join(folder, "manifest.json"))) continue;
    const manifest = await readManifest(folder);
    if (manifest.outputsDigest !== outputsDigest) continue;
    if (newest === undefined || manifest.timings.finished > newest.finishedAt) newest = recordOf(stageId, folder, manifest);
  }
  return newest;
}

/** Reads the report's inputs, then follows their key records to every stage upstream of them. */
export async function readStageGraph(inputs: { [stageId: string]: string }): Promise<StageGraphRecords> {
  const direct = await readStageRecords(inputs);
  const found = new Map(direct.map((record) => [record.id, record]));
  const unresolved = new Set<string>();
  const pending = [...direct];
  while (pending.length > 0) {
    const record = pending.pop()!;
    const root = artifactsRootOf(record.id, record.folder);
    for (const [stageId, digest] of Object.entries(record.upstream)) {
      if (found.has(stageId) || unresolved.has(stageId)) continue;
      const upstream = await findEntry(root, stageId, digest);
      if (upstream === undefined) {
        unresolved.add(stageId);
        continue;
      }
      found.set(stageId, upstream);
      pending.push(upstream);
    }
  }
  const all = [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { inputs: direct, all, unresolved: [...unresolved].sort() };
}
