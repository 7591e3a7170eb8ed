/**
 * File downloads over HTTP(S) with resume and integrity checks. A partial download is kept as `<file>.part` (in the
 * stage's work folder, which survives failed runs), continued with a `Range` request, and renamed only after its
 * size and, when known, its SHA-256 match. The Hugging Face token is sent as a bearer token to the Hugging Face
 * endpoint only and never appears in messages or files.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface HubAccess {
  /** Base URL of the Hugging Face hub (`HF_ENDPOINT`, default `https://huggingface.co`), without a trailing slash. */
  endpoint: string;
  /** Value of `HF_TOKEN`, if set. */
  token: string | undefined;
}

/** Reads `HF_ENDPOINT` and `HF_TOKEN`; `endpointOverride` (a stage parameter) wins over the environment. */
export function hubAccess(endpointOverride?: string): HubAccess {
  const endpoint = (endpointOverride ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
  const token = process.env.HF_TOKEN && process.env.HF_TOKEN.length > 0 ? process.env.HF_TOKEN : undefined;
  return { endpoint, token };
}

export interface DownloadRequest {
  url: string;
  /** Final path of the file; the partial file is `<file>.part`. */
  file: string;
  /** Expected size in bytes, when the source states it. */
  size?: number;
  /** Expected SHA-256 (hex), when the source states it. */
  sha256?: string;
  /** Sent as `Authorization: Bearer` when the URL is on `access.endpoint`. */
  access?: HubAccess;
  /** Further attempts after a broken transfer; each continues where the last stopped. */
  retries?: number;
  signal?: AbortSignal;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  sha256: string;
  /** Whether some bytes came from an earlier, interrupted transfer. */
  resumed: boolean;
}

/** Raised for a response that retrying will not fix (not found, unauthorized, integrity mismatch). */
export class DownloadError extends Error {}

function authorization(url: string, access: HubAccess | undefined): Record<string, string> {
  if (!access?.token) return {};
  return url.startsWith(access.endpoint + "/") ? { authorization: `Bearer ${access.token}` } : {};
}

async function sha256Of(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Downloads `request.url` to `request.file`; returns at once if the file already exists and matches. */
export async function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  fs.mkdirSync(path.dirname(request.file), { recursive: true });
  if (fs.existsSync(request.file)) {
    const existing = await verify(request, request.file).catch(() => undefined);
    if (existing) return { ...existing, resumed: false };
    fs.rmSync(request.file);
  }
  const partial = `${request.file}.part`;
  let resumed = false;
  const attempts = 1 + (request.retries ?? 3);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (request.signal?.aborted) throw new DownloadError(`download of ${request.url} was stopped`);
    try {
      const offset = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
      const complete = await transfer(request, partial, offset);
      if (offset > 0 && complete.continued) resumed = true;
      const verified = await verify(request, partial, complete.expectedSize);
      if (!verified) throw new DownloadError(`download of ${request.url} failed its integrity check`);
      fs.renameSync(partial, request.file);
      return { ...verified, file: request.file, resumed };
    } catch (error) {
      if (error instanceof DownloadError) {
        if (/integrity|size/.test(error.message)) fs.rmSync(partial, { force: true });
        throw error;
      }
      lastError = error;
    }
  }
  throw new Error(`download of ${request.url} failed after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`);
}

/** Streams the response into `partial` from `offset`; returns the total size the server announced. */
async function transfer(
  request: DownloadRequest,
  partial: string,
  offset: number,
): Promise<{ expectedSize: number | undefined; continued: boolean }> {
  const headers: Record<string, string> = { ...authorization(request.url, request.access) };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const response = await fetch(request.url, { headers, redirect: "follow", signal: request.signal ?? null });
  if (response.status === 416 && offset > 0) {
    // The partial file is already complete (or longer than the resource); verification decides.
    await response.body?.cancel();
    return { expectedSize: undefined, continued: true };
  }
  if (response.status === 401 || response.status === 403) {
    throw new DownloadError(`download of ${request.url} failed: unauthorized (HTTP ${response.status}); set HF_TOKEN to a token with access`);
  }
  if (response.status === 404) throw new DownloadError(`download of ${request.url} failed: not found (HTTP 404)`);
  if (!response.ok || !response.body) throw new Error(`download of ${request.url} failed: HTTP ${response.status}`);

  const continued = response.status === 206;
  const length = Number(response.headers.get("content-length") ?? NaN);
  let expectedSize: number | undefined;
  if (continued) {
    const range = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    expectedSize = range ? Number(range[1]) : Number.isFinite(length) ? offset + length : undefined;
  } else {
    expectedSize = Number.isFinite(length) ? length : undefined;
  }
  const output = fs.createWriteStream(partial, { flags: continued ? "a" : "w" });
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!output.write(chunk)) await new Promise<void>((resolve) => output.once("drain", () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => {
      output.once("error", reject);
      output.end(() => resolve());
    });
  }
  const received = fs.statSync(partial).size;
  if (expectedSize !== undefined && received < expectedSize) {
    throw new Error(`transfer of ${request.url} ended after ${received} of ${expectedSize} bytes`);
  }
  return { expectedSize, continued };
}

async function verify(request: DownloadRequest, file: string, announcedSize?: number): Promise<Omit<DownloadResult, "resumed"> | undefined> {
  const bytes = fs.statSync(file).size;
  const expectedSize = request.size ?? announcedSize;
  if (expectedSize !== undefined && bytes !== expectedSize) {
    throw new DownloadError(`download of ${request.url} has size ${bytes} bytes, expected ${expectedSize}`);
  }
  const sha256 = await sha256Of(file);
  if (request.sha256 !== undefined && sha256 !== request.sha256.toLowerCase()) {
    throw new DownloadError(`download of ${request.url} failed its integrity check: sha256 ${sha256}, expected ${request.sha256}`);
  }
  return { file, bytes, sha256 };
}

/**
 * Joins a base URL and path segments, percent-encoding each segment whole: a name taken from data (which may hold
 * `:`, `/` or `..`) stays one segment and cannot climb out of the base URL.
 */
export function joinUrl(base: string, ...segments: string[]): string {
  for (const segment of segments) {
    // URL parsing resolves `.` and `..` segments even when percent-encoded, so they cannot be passed on.
    if (segment === "" || segment === "." || segment === "..") throw new Error(`invalid URL path segment ${JSON.stringify(segment)}`);
  }
  return [base.replace(/\/+$/, ""), ...segments.map((segment) => encodeURIComponent(segment))].join("/");
}
