import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import pretrainStage from "../../stages/pretrain.js";
import { downloadCheckpoint } from "../../src/experiments/hub-checkpoint.js";
import { initBackend, loadT5 } from "../../src/models/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = [path.resolve(here, "../.."), path.resolve(here, "../../..")].find((root) => fs.existsSync(path.join(root, "package.json")))!;
const fixtures = process.env.HYPERTUNE_FIXTURES ?? path.resolve(projectRoot, "../shared/fixtures");
const golden = path.join(fixtures, "t5-golden");
const haveFixtures = fs.existsSync(path.join(golden, "model.safetensors"));
if (!haveFixtures) console.log(`Skipping the checkpoint download test: ${golden} is absent (set HYPERTUNE_FIXTURES).`);

describe.skipIf(!haveFixtures)("downloadCheckpoint", () => {
  let server: http.Server;
  let endpoint: string;
  const requested: string[] = [];
  const previousEndpoint = process.env.HF_ENDPOINT;

  beforeAll(async () => {
    // A loopback stand-in for the hub that serves the golden checkpoint as google/tiny at revision main.
    server = http.createServer((request, response) => {
      requested.push(request.url ?? "");
      const match = /^\/google\/tiny\/resolve\/main\/([^/]+)$/.exec(request.url ?? "");
      const file = match ? path.join(golden, match[1]!) : undefined;
      if (file === undefined || !fs.existsSync(file)) {
        response.writeHead(404).end("not found");
        return;
      }
      const body = fs.readFileSync(file);
      response.writeHead(200, { "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    process.env.HF_ENDPOINT = endpoint;
    await initBackend("cpu", () => undefined);
  });

  afterAll(async () => {
    if (previousEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previousEndpoint;
    await new Promise((resolve) => server.close(resolve));
  });

  it("downloads a single-file checkpoint that loads", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-"));
    await downloadCheckpoint("google/tiny", "main", folder, new AbortController().signal);
    expect(fs.readFileSync(path.join(folder, "model.safetensors")).equals(fs.readFileSync(path.join(golden, "model.safetensors")))).toBe(true);
    const model = loadT5(folder);
    expect(model.config.d_model).toBe(64);
    model.dispose();
  });

  it("lets the pretrain stage publish the downloaded model", async () => {
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "pretrain-out-"));
    const summary = await pretrainStage.run({
      stage: { id: "pretrain", kind: "pretrain", params: { model: { source: "huggingface", repository: "google/tiny", revision: "main" } }, upstream: [], code: [], resource: "cpu" },
      outputDir,
      workDir: fs.mkdtempSync(path.join(os.tmpdir(), "pretrain-work-")),
      inputs: {},
      emit: () => undefined,
      signal: new AbortController().signal,
    });
    expect(summary.source).toBe("google/tiny@main");
    const model = loadT5(path.join(outputDir, "model"));
    expect(model.config.vocab_size).toBe(320);
    model.dispose();
  });

  it("rejects a repository without weights", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-"));
    await expect(downloadCheckpoint("google/missing", "main", folder, new AbortController().signal)).rejects.toThrow(/has no config.json/);
  });
});
