/**
 * Download of a Hugging Face model repository's checkpoint (config.json and safetensors weights, single file or
 * shards), for the profiles that start from `google/t5-*-lm-adapt`. Transfers go through the datasets' resumable
 * downloader, which reads `HF_ENDPOINT` and `HF_TOKEN`.
 */

import fs from "node:fs";
import path from "node:path";

import { DownloadError, downloadFile, hubAccess, type HubAccess } from "../../datasets/hub/http.js";

async function fetchFile(access: HubAccess, repository: string, revision: string, file: string, folder: string, signal: AbortSignal): Promise<boolean> {
  const url = `${access.endpoint}/${repository}/resolve/${encodeURIComponent(revision)}/${file}`;
  try {
    await downloadFile({ url, file: path.join(folder, file), access, signal });
    return true;
  } catch (error) {
    // A missing file is expected for the layout the repository does not use (single file or shards).
    if (error instanceof DownloadError && /\b404\b|not found/i.test(error.message)) return false;
    throw error;
  }
}

/** Downloads the checkpoint of `repository` at `revision` into `folder` (resuming partial files) and returns `folder`. */
export async function downloadCheckpoint(repository: string, revision: string, folder: string, signal: AbortSignal): Promise<string> {
  const access = hubAccess();
  fs.mkdirSync(folder, { recursive: true });
  if (!(await fetchFile(access, repository, revision, "config.json", folder, signal))) throw new Error(`${repository}@${revision} has no config.json.`);
  if (await fetchFile(access, repository, revision, "model.safetensors", folder, signal)) return folder;
  if (!(await fetchFile(access, repository, revision, "model.safetensors.index.json", folder, signal))) {
    throw new Error(`${repository}@${revision} has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin checkpoints are not supported).`);
  }
  const index = JSON.parse(fs.readFileSync(path.join(folder, "model.safetensors.index.json"), "utf8")) as { weight_map?: Record<string, string> };
  for (const shard of new Set(Object.values(index.weight_map ?? {}))) {
    if (!(await fetchFile(access, repository, revision, shard, folder, signal))) {
      throw new Error(`${repository}@${revision}: shard ${shard} listed in model.safetensors.index.json is missing.`);
    }
  }
  return folder;
}
