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
export class DownloadError extends Error {
  /** Whether the partial file is wrong and must not be resumed. */
  readonly discardPartial: boolean;

  constructor(message: string, options: { discardPartial?: boolean } = {}) {
    super(message);
    this.discardPartial = options.discardPartial ?? false;
  }
}

/** Size and SHA-256 the hub states for a Git LFS file (`X-Linked-Size`, `X-Linked-Etag` on its redirect). */
interface LinkedFile {
  size?: number;
  sha256?: string;
}

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
      const verified = await verify(request, partial, complete.expectedSize, complete.linked.sha256);
      fs.renameSync(partial, request.file);
      return { ...verified, file: request.file, resumed };
    } catch (error) {
      if (error instanceof DownloadError) {
        if (error.discardPartial) fs.rmSync(partial, { force: true });
        throw error;
      }
      lastError = error;
    }
  }
  throw new Error(`download of ${request.url} failed after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`);
}

const maxRedirects = 5;

/**
 * Fetches `request.url`, following redirects by hand: the hub states an LFS file's size and SHA-256 on the redirect
 * response only, and the token must not travel to the storage host the redirect points to.
 */
async function fetchWithRedirects(request: DownloadRequest, range: string | undefined): Promise<{ response: Response; linked: LinkedFile }> {
  const linked: LinkedFile = {};
  let url = request.url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const headers: Record<string, string> = { ...authorization(url, request.access) };
    if (range) headers.range = range;
    const response = await fetch(url, { headers, redirect: "manual", signal: request.signal ?? null });
    const linkedSize = Number(response.headers.get("x-linked-size") ?? NaN);
    if (Number.isFinite(linkedSize)) linked.size = linkedSize;
    const linkedEtag = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(response.headers.get("x-linked-etag") ?? "");
    if (linkedEtag) linked.sha256 = linkedEtag[1];
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return { response, linked };
    await response.body?.cancel();
    url = new URL(location, url).toString();
  }
  throw new DownloadError(`download of ${request.url} failed: more than ${maxRedirects} redirects`);
}

/** Streams the response into `partial` from `offset`; returns the total size and checksum the servers announced. */
async function transfer(
  request: DownloadRequest,
  partial: string,
  offset: number,
): Promise<{ expectedSize: number | undefined; continued: boolean; linked: LinkedFile }> {
  const { response, linked } = await fetchWithRedirects(request, offset > 0 ? `bytes=${offset}-` : undefined);
  if (response.status === 416 && offset > 0) {
    // The partial file is already complete (or longer than the resource); verification decides.
    await response.body?.cancel();
    return { expectedSize: linked.size, continued: true, linked };
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new DownloadError(`download of ${request.url} failed: unauthorized (HTTP ${response.status}); set HF_TOKEN to a token with access`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new DownloadError(`download of ${request.url} failed: not found (HTTP 404)`);
  }
  if (response.status >= 300 && response.status < 400) throw new DownloadError(`download of ${request.url} failed: redirect without a location (HTTP ${response.status})`);
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
  if (linked.size !== undefined && expectedSize !== undefined && linked.size !== expectedSize) {
    await response.body?.cancel();
    throw new DownloadError(`download of ${request.url} failed: the hub states ${linked.size} bytes but the server sends ${expectedSize}`);
  }
  expectedSize ??= linked.size;
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
  return { expectedSize, continued, linked };
}

/** Checks size and SHA-256 against the request, or else against what the servers announced. */
async function verify(
  request: DownloadRequest,
  file: string,
  announcedSize?: number,
  announcedSha256?: string,
): Promise<Omit<DownloadResult, "resumed">> {
  const bytes = fs.statSync(file).size;
  const expectedSize = request.size ?? announcedSize;
  if (expectedSize !== undefined && bytes !== expectedSize) {
    throw new DownloadError(`download of ${request.url} failed its integrity check: ${bytes} bytes, expected ${expectedSize}`, { discardPartial: true });
  }
  const sha256 = await sha256Of(file);
  const expectedSha256 = (request.sha256 ?? announcedSha256)?.toLowerCase();
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new DownloadError(`download of ${request.url} failed its integrity check: sha256 ${sha256}, expected ${expectedSha256}`, {
      discardPartial: true,
    });
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
