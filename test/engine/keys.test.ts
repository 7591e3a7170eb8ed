import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { canonicalJson, digestJson } from "../../src/engine/canonical.js";
import { explainDifferences } from "../../src/engine/explain.js";
import { FileDigestMemo, importedPackages } from "../../src/engine/file-digest.js";
import type { KeyRecord } from "../../src/engine/key-record.js";
import { stageKey } from "../../src/engine/key-record.js";

describe("canonical JSON", () => {
  it("key order does not change the text", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: "x" } })).toBe(canonicalJson({ a: { c: "x", d: [1, 2] }, b: 1 }));
  });

  it("keys sort by code unit, not locale", () => {
    expect(canonicalJson({ b: 1, B: 2, ä: 3, a: 4 })).toBe('{"B":2,"a":4,"b":1,"ä":3}');
  });

  it("values, types and array order change the digest", () => {
    const base = digestJson({ lr: 0.001, steps: [1, 2] });
    expect(digestJson({ lr: 0.0001, steps: [1, 2] })).not.toBe(base);
    expect(digestJson({ lr: "0.001", steps: [1, 2] })).not.toBe(base);
    expect(digestJson({ lr: 0.001, steps: [2, 1] })).not.toBe(base);
  });

  it("non-finite numbers are rejected with their place", () => {
    expect(() => canonicalJson({ params: { lr: Number.NaN } })).toThrow(/NaN at \$\.params\.lr/);
  });
});

describe("imported packages", () => {
  it("finds bare specifiers of every import form", () => {
    const source = [
      'import * as tf from "@tensorflow/tfjs";',
      'import { execa } from "execa";',
      'export { x } from "yaml/util";',
      'const glob = await import("fast-glob");',
      'const ajv = require("ajv");',
      'import fs from "node:fs";',
      'import path from "path";',
      'import { local } from "./local.js";',
    ].join("\n");

    expect(importedPackages(source)).toEqual(["@tensorflow/tfjs", "ajv", "execa", "fast-glob", "yaml"]);
  });
});

describe("file digest memo", () => {
  let folder: string;

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "hypertune-memo-"));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it("unchanged file is not read again", async () => {
    const file = path.join(folder, "weights.bin");
    fs.writeFileSync(file, "original weights");
    const first = FileDigestMemo.load(folder);
    const digest = (await first.digest(file)).sha256;
    await first.save();

    const reads = vi.spyOn(fs, "readFileSync");
    const second = FileDigestMemo.load(folder);
    expect((await second.digest(file)).sha256).toBe(digest);
    expect(reads.mock.calls.filter(([target]) => target === file)).toHaveLength(0);
    // The spy does see reads: a file the memo does not know is read.
    const other = path.join(folder, "other.bin");
    fs.writeFileSync(other, "other weights");
    await second.digest(other);
    expect(reads.mock.calls.filter(([target]) => target === other)).toHaveLength(1);
  });

  it("changed file is hashed again", async () => {
    const file = path.join(folder, "weights.bin");
    fs.writeFileSync(file, "original weights");
    const memo = FileDigestMemo.load(folder);
    const before = (await memo.digest(file)).sha256;

    fs.writeFileSync(file, "updated weights, longer");

    expect((await memo.digest(file)).sha256).not.toBe(before);
  });
});

describe("stale reasons", () => {
  const record: KeyRecord = {
    recordVersion: 1,
    kind: "mtf",
    params: { optimizer: { lr: 0.001 }, steps: 100 },
    upstream: { "pretrain/t5": "a".repeat(64) },
    code: { "stages/mtf.ts": "b".repeat(64) },
    engine: { node: "v20.20.0", packages: { "@tensorflow/tfjs": "4.22.0" }, backend: "wasm" },
  };

  it("identical records have one key and no reasons", () => {
    expect(stageKey(structuredClone(record))).toBe(stageKey(record));
    expect(explainDifferences("mtf/t5", record, structuredClone(record))).toEqual([]);
  });

  it("each change is named", () => {
    const changed: KeyRecord = {
      ...record,
      params: { optimizer: { lr: 0.0003 }, steps: 100 },
      upstream: { "pretrain/t5": "c".repeat(64) },
      code: { "stages/mtf.ts": "d".repeat(64), "src/experiments/loop.ts": "e".repeat(64) },
      engine: { node: "v20.21.0", packages: { "@tensorflow/tfjs": "4.23.0" }, backend: "cpu" },
    };

    expect(stageKey(changed)).not.toBe(stageKey(record));
    expect(explainDifferences("mtf/t5", record, changed)).toEqual([
      "parameter optimizer.lr of stage mtf/t5: 0.001 -> 0.0003",
      "code file src/experiments/loop.ts added",
      "code file stages/mtf.ts changed",
      "output of upstream pretrain/t5 changed",
      "Node v20.20.0 -> v20.21.0",
      "backend wasm -> cpu",
      "package @tensorflow/tfjs 4.22.0 -> 4.23.0",
    ]);
  });

  it("unusual parameter keys are quoted", () => {
    const changed: KeyRecord = { ...record, params: { optimizer: { lr: 0.001, "warmup-steps": 10 }, steps: 100 } };

    expect(explainDifferences("mtf/t5", record, changed)).toEqual(['parameter optimizer["warmup-steps"] of stage mtf/t5: (absent) -> 10']);
  });
});
