/**
 * Finding the published entry of a profile's `report` stage in an artifacts folder.
 */
import { ArtifactStore } from "../engine/artifact-store.js";
import type { Manifest } from "../engine/manifest.js";

/**
 * Finds the valid `report` entry built for `profile` that finished last, or undefined when there is none.
 * NOTE: after a return to older code whose report is still cached, the newer entry built by the other code wins.
 * Running the pipeline for the profile right before, as the regression check does, keeps them in step.
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
