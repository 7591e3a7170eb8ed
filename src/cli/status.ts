/** `status`: what the artifacts folder holds for the stages of a profile. */
import fs from "node:fs";
import path from "node:path";
import { listFiles } from "../engine/artifact-store.js";
import { inspectLock } from "../engine/lock.js";
import { planStages } from "../engine/plan.js";
import { openSession } from "../engine/session.js";
import { parseCommand, resolveSessionOptions, sessionOptions, withInputErrors, type CommandSpec } from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- status [options]",
  summary:
    "Show, per stage of the profile: whether its current key is cached, how many entries the artifacts folder holds\n" +
    "and their size, when the newest was built, and whether a checkpoint folder (resumable work) or a lock exists.",
  options: sessionOptions,
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    const session = await openSession(resolveSessionOptions(parsed));
    const store = session.store;
    const planned = await planStages(session);
    const rows: string[][] = [["stage", "current", "entries", "size", "newest build", "notes"]];
    let totalBytes = 0;
    for (const stage of planned) {
      const keys = await store.listKeys(stage.id);
      let bytes = 0;
      for (const key of keys) bytes += await folderBytes(store.entryDir(stage.id, key));
      totalBytes += bytes;
      const newest = await store.newestValidEntry(stage.id);
      const notes: string[] = [];
      const work = path.join(store.root, ".work", stage.id);
      const workKeys = fs.existsSync(work) ? (await fs.promises.readdir(work)).filter((name) => /^[0-9a-f]{64}$/.test(name)) : [];
      if (workKeys.length > 0) notes.push(`${workKeys.length} checkpoint folder(s)`);
      if (stage.key !== undefined) {
        const lock = inspectLock(store.lockFile(stage.id, stage.key));
        if (lock.state === "live") notes.push(`locked (being built by ${lock.holder})`);
        if (lock.state === "stale") notes.push(`stale lock (${lock.holder}; the next run takes it over)`);
      }
      rows.push([stage.id, stage.state, String(keys.length), formatBytes(bytes), newest?.timings.finished.slice(0, 19) ?? "-", notes.join(", ")]);
    }
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
    lines.push(`${store.root}: ${formatBytes(totalBytes)} in the entries of profile ${session.profile.name}`);
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  });
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const file of await listFiles(dir).catch(() => [])) total += (await fs.promises.stat(path.join(dir, file))).size;
  return total;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
