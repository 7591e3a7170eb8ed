/**
 * Finding the published entry of a profile's `report` stage in an artifacts folder.
 */
import { ArtifactStore } from "../engine/artifact-store.js";
import type { Manifest } from "../engine/manifest.js";

/**
 * The valid `report` entry built for `profile` that finished last, or undefined when there is none.
 * NOTE: after returning to older code whose report is still cached, a newer entry from the other code would be
 * chosen; run the pipeline for the profile right before, as the regression check does, to keep them in step.
 */
export async function newestReportEntry(artifactsDir: string, profile: string): Promise<{ dir: string; manifest: Manifest } | undefined> {
  const store = new ArtifactStore(artifactsDir);
  let newest: { dir: string; manifest: Manifest } | undefined;
  for (const stageId of await store.stageIdsOnDisk()) {
    for (const key of await store.listKeys(stageId)) {
      const check = await store.checkEntry(stageId, key);
      if (check.state !== "valid" || check.manifest.record.kind !== "report" || check.manifest.record.params.profile !== profile) continue;
      if (newest === undefined || check.manifest.timings.finished > newest.manifest.timings.finished) {
        newest = { dir: check.dir, manifest: check.manifest };
      }
    }
  }
  return newest;
}
