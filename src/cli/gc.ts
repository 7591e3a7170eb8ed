/** `gc`: removes cache entries that no named profile needs. */
import fs from "node:fs";
import path from "node:path";
import { planStages } from "../engine/plan.js";
import { openSession } from "../engine/session.js";
import { formatBytes } from "./status.js";
import { listFiles } from "../engine/artifact-store.js";
import { InputError } from "../engine/errors.js";
import { listValue, parseCommand, resolveSessionOptions, sessionOptions, withInputErrors, type CommandSpec } from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- gc --profile NAME [--profile NAME...] [options]",
  summary:
    "Remove every cache entry that is not the current entry of a stage of the named profiles, checkpoint folders of\n" +
    "stages no named profile has, and leftovers of killed runs. Run it while no other pipeline uses the folder.",
  options: [
    ...sessionOptions.map((option) =>
      option.name === "profile"
        ? { ...option, multiple: true, description: "profile whose current entries are kept; at least one is required", defaultText: undefined }
        : option,
    ),
    { name: "dry-run", type: "boolean", description: "list what would be removed, remove nothing" },
  ],
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    const profiles = listValue(parsed, "profile");
    // Without a named profile, gc would keep only the default profile's entries and delete everything else.
    if (profiles.length === 0) {
      throw new InputError(
        "gc needs at least one --profile NAME (repeatable), because it removes every entry that no named profile uses.\n" +
          "Name every profile whose cache you want to keep, e.g. `gc --profile smoke --profile default`.",
      );
    }
    const dryRun = parsed.values["dry-run"] === true;

    // Entries reachable from a profile: the current (valid) entry of each of its stages.
    const keep = new Set<string>();
    const stagesInProfiles = new Set<string>();
    let store;
    for (const profile of profiles) {
      const session = await openSession(resolveSessionOptions({ ...parsed, values: { ...parsed.values, profile: undefined } }, profile));
      store = session.store;
      let cachedStages = 0;
      for (const stage of await planStages(session)) {
        stagesInProfiles.add(stage.id);
        if (stage.state === "cached" && stage.key !== undefined) {
          keep.add(store.entryDir(stage.id, stage.key));
          cachedStages += 1;
        }
      }
      if (cachedStages === 0) {
        process.stderr.write(`warning: profile ${session.profile.name} has no cached entry in ${store.root}, so gc keeps nothing for it.\n`);
      }
    }
    if (store === undefined) return 0;

    const doomed: string[] = [];
    for (const id of await store.stageIdsOnDisk()) {
      for (const key of await store.listKeys(id)) {
        const dir = store.entryDir(id, key);
        if (!keep.has(dir)) doomed.push(dir);
      }
    }
    for (const id of await store.stageIdsWithWork()) {
      // Key folders only, so the checkpoints of a stage id nested under this one stay.
      if (!stagesInProfiles.has(id)) doomed.push(...(await store.listWorkDirs(id)));
    }
    // Staging folders are only leftovers when no build holds a lock; a lock file exists while a build runs.
    const locks = path.join(store.root, ".locks");
    const building = fs.existsSync(locks) && fs.readdirSync(locks, { recursive: true }).some((name) => String(name).endsWith(".lock"));
    for (const leftover of building ? [".trash"] : [".tmp", ".trash"]) {
      if (fs.existsSync(path.join(store.root, leftover))) doomed.push(path.join(store.root, leftover));
    }

    let bytes = 0;
    for (const dir of doomed) {
      for (const file of await listFiles(dir).catch(() => [])) bytes += (await fs.promises.stat(path.join(dir, file))).size;
      process.stdout.write(`${dryRun ? "would remove" : "removing"} ${dir}\n`);
      if (!dryRun) {
        await store.remove(dir);
        await store.removeEmptyParents(dir);
      }
    }
    await store.memo.save();
    process.stdout.write(`${dryRun ? "would free" : "freed"} ${formatBytes(bytes)} in ${doomed.length} folder(s); kept ${keep.size} entries\n`);
    return 0;
  });
}
