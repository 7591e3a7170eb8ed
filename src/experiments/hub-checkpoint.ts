/**
 * Download of a Hugging Face model repository's checkpoint files (config.json and safetensors weights), for the
 * profiles that start from `google/t5-*-lm-adapt`. Honours `HF_ENDPOINT` and `HF_TOKEN` as the Hugging Face
 * libraries do.
 */

import fs from "node:fs";
import path from "node:path";

function fileUrl(repository: string, revision: string, file: string): string {
  const endpoint = (process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
  return `${endpoint}/${repository}/resolve/${encodeURIComponent(revision)}/${file}`;
}

async function fetchFile(repository: string, revision: string, file: string, target: string): Promise<boolean> {
  const url = fileUrl(repository, revision, file);
  const headers: Record<string, string> = {};
  if (process.env.HF_TOKEN) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new Error(`Downloading ${url} failed (${(error as Error).message}); check the network or set HF_ENDPOINT to a reachable mirror.`);
  }
  if (response.status === 404) return false;
  if (!response.ok || response.body === null) throw new Error(`Downloading ${url} failed with HTTP ${response.status}.`);
  const temporary = `${target}.part`;
  fs.writeFileSync(temporary, Buffer.from(await response.arrayBuffer()));
  fs.renameSync(temporary, target);
  return true;
}

/**
 * Downloads `config.json` and the safetensors weights (single file or shards) of `repository` at `revision` into
 * `folder`, skipping files already present, and returns `folder`.
 */
export async function downloadCheckpoint(repository: string, revision: string, folder: string): Promise<string> {
  fs.mkdirSync(folder, { recursive: true });
  const present = (file: string): boolean => fs.existsSync(path.join(folder, file));
  if (!present("config.json") && !(await fetchFile(repository, revision, "config.json", path.join(folder, "config.json")))) {
    throw new Error(`${repository}@${revision} has no config.json.`);
  }
  if (present("model.safetensors") || present("model.safetensors.index.json")) return folder;
  if (await fetchFile(repository, revision, "model.safetensors", path.join(folder, "model.safetensors"))) return folder;
  const indexFile = path.join(folder, "model.safetensors.index.json");
  if (!(await fetchFile(repository, revision, "model.safetensors.index.json", indexFile))) {
    throw new Error(`${repository}@${revision} has neither model.safetensors nor model.safetensors.index.json.`);
  }
  const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as { weight_map?: Record<string, string> };
  for (const shard of new Set(Object.values(index.weight_map ?? {}))) {
    if (!present(shard) && !(await fetchFile(repository, revision, shard, path.join(folder, shard)))) {
      throw new Error(`${repository}@${revision}: shard ${shard} listed in model.safetensors.index.json is missing.`);
    }
  }
  return folder;
}
