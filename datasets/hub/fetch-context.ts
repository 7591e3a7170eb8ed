/**
 * Settings a hub loader takes from its stage: the downloads folder (in the stage's work folder, so an interrupted
 * transfer resumes on the next run), hub access, and a log function.
 */
import path from "node:path";
import { downloadFile, type DownloadResult, type HubAccess } from "./http.js";
import { toSafeName } from "../safe-names.js";

export interface FetchContext {
  downloadsFolder: string;
  access: HubAccess;
  signal?: AbortSignal;
  log(message: string): void;
}

/** Downloads `url` into the downloads folder under a name derived from the URL path; returns the local file. */
export async function fetchToFile(context: FetchContext, url: string, checks: { size?: number; sha256?: string } = {}): Promise<DownloadResult> {
  const { pathname } = new URL(url);
  const name = toSafeName(decodeURIComponent(pathname).replace(/^\/+/, "").replace(/\//g, "__"));
  const result = await downloadFile({
    url,
    file: path.join(context.downloadsFolder, name),
    ...checks,
    access: context.access,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  context.log(`${result.resumed ? "resumed" : "fetched"} ${url} (${result.bytes} bytes, sha256 ${result.sha256.slice(0, 12)})`);
  return result;
}
