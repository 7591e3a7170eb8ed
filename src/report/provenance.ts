/**
 * Provenance of a report: the commit, the profile and stage keys it was built from, the backend, and where the
 * time went.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Provenance, StageProvenance } from "./model.js";
import type { StageRecord } from "./manifests.js";
import { digestJson } from "../engine/canonical.js";
import type { JsonValue } from "../engine/stage.js";

function git(projectRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", projectRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** Reads the checked-out commit and whether tracked files differ from it, or nulls outside a git work tree. */
export function gitState(projectRoot: string): { commit: string | null; dirty: boolean | null } {
  const commit = git(projectRoot, ["rev-parse", "HEAD"]);
  if (commit === undefined) return { commit: null, dirty: null };
  const status = git(projectRoot, ["status", "--porcelain", "--untracked-files=no"]);
  return { commit, dirty: status === undefined ? null : status !== "" };
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Digest of `profiles/<profile>.json` as the engine computes it (SHA-256 of the canonical JSON, so formatting does
 * not change it), or null when there is no such file.
 */
export function profileDigest(projectRoot: string, profile: string): string | null {
  const file = path.join(projectRoot, "profiles", `${profile}.json`);
  if (!fs.existsSync(file)) return null;
  return digestJson(JSON.parse(fs.readFileSync(file, "utf8")) as JsonValue);
}

/** SHA-256 over the sorted `id=key` lines: equal exactly when every upstream stage has the same key. */
export function stageKeysDigest(stages: StageRecord[]): string {
  const lines = stages.map((stage) => `${stage.id}=${stage.key}`).sort();
  return sha256(lines.join("\n") + "\n");
}

/**
 * Builds the provenance record. A stage counts as a cache hit when it was published before `runStartedAt`, the
 * start of the pipeline run that builds the report. Without that time, cache hits are unknown (null).
 */
export function buildProvenance(options: {
  projectRoot: string;
  profile: string;
  /** Digest of the resolved profile, recorded by the graph in the report stage's parameters. */
  profileDigest?: string | undefined;
  stages: StageRecord[];
  unresolvedStages: string[];
  runStartedAt: string | undefined;
  fallbackBackend: string | null;
  now: Date;
}): Provenance {
  const { commit, dirty } = gitState(options.projectRoot);
  const runStarted = options.runStartedAt === undefined ? NaN : Date.parse(options.runStartedAt);
  const stages: StageProvenance[] = options.stages.map((stage) => {
    const finished = Date.parse(stage.finishedAt);
    return {
      id: stage.id,
      kind: stage.kind,
      key: stage.key,
      wallSeconds: stage.wallSeconds,
      finishedAt: stage.finishedAt,
      cacheHit: Number.isNaN(runStarted) || Number.isNaN(finished) ? null : finished < runStarted,
    };
  });
  const backends = [...new Set(options.stages.map((stage) => stage.backend).filter((name) => name !== null))];
  const known = stages.filter((stage) => stage.cacheHit !== null);
  return {
    generatedAt: options.now.toISOString(),
    gitCommit: commit,
    gitDirty: dirty,
    profileDigest: options.profileDigest ?? profileDigest(options.projectRoot, options.profile),
    stageKeysDigest: stageKeysDigest(options.stages),
    backend: backends.length > 0 ? backends.sort().join(", ") : options.fallbackBackend,
    stages,
    unresolvedStages: options.unresolvedStages,
    totalWallSeconds: stages.reduce((sum, stage) => sum + (stage.wallSeconds ?? 0), 0),
    cacheHits: known.length === stages.length && stages.length > 0 ? known.filter((stage) => stage.cacheHit).length : null,
  };
}
