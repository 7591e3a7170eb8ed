/**
 * The plan of a session: every stage as cached or stale, and for a stale stage the reasons, found by comparing
 * the key it needs with its newest cached entry. It reads manifests and file metadata only, never stage code.
 */
import type { StageKey } from "./canonical.js";
import { explainDifferences } from "./explain.js";
import { keyStage, type Session } from "./session.js";

export interface PlannedStage {
  id: string;
  state: "cached" | "stale";
  /** Key of the entry the stage needs; unknown while an upstream stage is stale. */
  key?: StageKey;
  reasons: string[];
}

export async function planStages(session: Session): Promise<PlannedStage[]> {
  const planned = new Map<string, PlannedStage>();
  const digests = new Map<string, string>();
  for (const stage of session.stages) {
    const staleUpstream = stage.upstream.filter((id) => planned.get(id)!.state === "stale");
    if (staleUpstream.length > 0) {
      // The key depends on upstream outputs that do not exist yet, so list what else changed, if anything.
      const placeholder = Object.fromEntries(stage.upstream.map((id) => [id, digests.get(id) ?? "pending"]));
      const record = await session.keys.record(stage, placeholder);
      const newest = await session.store.newestValidEntry(stage.id);
      const reasons = [
        staleUpstream.length === 1
          ? `upstream ${staleUpstream[0]} is stale, so the key is known once it is rebuilt`
          : `upstreams ${staleUpstream.join(", ")} are stale, so the key is known once they are rebuilt`,
      ];
      if (newest !== undefined) reasons.push(...explainDifferences(stage.id, newest.record, record, { ignoreUpstream: true }));
      planned.set(stage.id, { id: stage.id, state: "stale", reasons });
      continue;
    }

    const upstreamDigests = Object.fromEntries(stage.upstream.map((id) => [id, digests.get(id)!]));
    const keyed = await keyStage(session, stage, upstreamDigests);
    if (keyed.check.state === "valid") {
      digests.set(stage.id, keyed.check.manifest.outputsDigest);
      planned.set(stage.id, { id: stage.id, state: "cached", key: keyed.key, reasons: [] });
      continue;
    }
    const reasons: string[] = [];
    if (keyed.check.state === "invalid") {
      reasons.push(`its cached entry is damaged and is rebuilt: ${keyed.check.problems.join("; ")}`);
    } else {
      const newest = await session.store.newestValidEntry(stage.id);
      if (newest === undefined) reasons.push("never built");
      else {
        const differences = explainDifferences(stage.id, newest.record, keyed.record);
        reasons.push(...(differences.length > 0 ? differences : ["no cached entry for this key"]));
      }
    }
    planned.set(stage.id, { id: stage.id, state: "stale", key: keyed.key, reasons });
  }
  await session.store.memo.save();
  return session.stages.map((stage) => planned.get(stage.id)!);
}
