/**
 * A local HTTP server on 127.0.0.1 for loader tests. It serves files of the shared fixtures folder (never copied
 * into the project) under URL routes, in-memory overlay files, byte ranges, and injected faults: a response that
 * breaks off after some bytes, for resume and truncation tests.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The shared fixtures folder (`HYPERTUNE_FIXTURES` or `../shared/fixtures` from the repository root). */
export const fixturesFolder = process.env.HYPERTUNE_FIXTURES ?? path.resolve(repoRoot.replace(/\/dist$/, ""), "../shared/fixtures");
export const haveFixtures = fs.existsSync(path.join(fixturesFolder, "SOURCES.md"));
if (!haveFixtures) console.log(`fixtures folder ${fixturesFolder} not found: skipping the loader tests that need real data`);

export interface FixtureServer {
  url: string;
  /** URL path → fixture file (relative to the fixtures folder) or in-memory content. */
  routes: Map<string, string | Buffer>;
  /** URL path → break the next `times` responses after `bytes` bytes. */
  faults: Map<string, { bytes: number; times: number }>;
  /** URL path → respond with a 302 to `location` with extra headers (as the hub does for Git LFS files). */
  redirects: Map<string, { location: string; headers: Record<string, string> }>;
  /** Request log: path, range header, authorization header. */
  requests: { path: string; range: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

function resolveContent(routes: FixtureServer["routes"], urlPath: string): Buffer | undefined {
  const routed = routes.get(urlPath);
  if (Buffer.isBuffer(routed)) return routed;
  const relative = routed ?? urlPath.replace(/^\/+/, "");
  const file = path.resolve(fixturesFolder, relative);
  if (!file.startsWith(fixturesFolder + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
  return fs.readFileSync(file);
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const routes = new Map<string, string | Buffer>();
  const faults = new Map<string, { bytes: number; times: number }>();
  const requests: FixtureServer["requests"] = [];
  const redirects: FixtureServer["redirects"] = new Map();
  const server = http.createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    requests.push({ path: urlPath, range: request.headers.range, authorization: request.headers.authorization });
    const redirect = redirects.get(urlPath);
    if (redirect) {
      response.writeHead(302, { location: redirect.location, ...redirect.headers }).end();
      return;
    }

    const content = resolveContent(routes, urlPath);
    if (!content) {
      response.writeHead(404).end("not found");
      return;
    }

    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      if (start >= content.length) {
        response.writeHead(416, { "content-range": `bytes */${content.length}` }).end();
        return;
      }
      response.writeHead(206, { "content-length": content.length - start, "content-range": `bytes ${start}-${content.length - 1}/${content.length}` });
    } else {
      response.writeHead(200, { "content-length": content.length });
    }

    const fault = faults.get(urlPath);
    if (fault && fault.times > 0) {
      fault.times--;
      response.write(content.subarray(start, Math.min(content.length, start + fault.bytes)), () => response.socket?.destroy());
      return;
    }
    response.end(content.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    faults,
    redirects,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
