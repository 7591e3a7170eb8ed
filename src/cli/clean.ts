/** `clean`: removes every cache entry and checkpoint folder of the matching stages. */
import { ArtifactStore } from "../engine/artifact-store.js";
import { InputError } from "../engine/errors.js";
import { matchingIds, noMatchHint } from "../engine/stage-globs.js";
import { defaultArtifactsDir, defaultProjectRoot } from "../engine/project.js";
import { artifactsOption, parseCommand, stageGlobRules, stringValue, withInputErrors, type CommandSpec } from "./engine-options.js";

const command: CommandSpec = {
  usage: "npm run pipeline -- clean [options] STAGE|GLOB...",
  summary:
    "Remove all cache entries and checkpoint folders of the stages whose ids match (e.g. `eval/sni/t5-mtf` or `mtf/**`).\n" +
    "The stages are rebuilt by the next run.",
  options: [artifactsOption, { name: "dry-run", type: "boolean", description: "list what would be removed, remove nothing" }],
  allowPositionals: true,
  notes: stageGlobRules,
};

export default function main(argv: string[]): Promise<number> {
  return withInputErrors(async () => {
    const parsed = parseCommand(argv, command);
    if (parsed === undefined) return 0;
    if (parsed.positionals.length === 0) throw new InputError("clean needs at least one stage id or glob, e.g. `clean eval/**`.");
    const store = new ArtifactStore(stringValue(parsed, "artifacts") ?? defaultArtifactsDir(defaultProjectRoot()));
    const dryRun = parsed.values["dry-run"] === true;
    const onDisk = new Set([...(await store.stageIdsOnDisk()), ...(await store.stageIdsWithWork())]);

    let removed = 0;
    const allIds = [...onDisk].sort();
    for (const glob of parsed.positionals) {
      const hits = matchingIds(glob, [...onDisk].sort());
      if (hits.length === 0) process.stderr.write(`${glob} matches no stage in ${store.root}.${noMatchHint(glob, allIds)}\n`);
      for (const id of hits) {
        onDisk.delete(id);
        // Key folders only: the stage's folders also contain those of the stage ids nested under it.
        const folders = [...(await store.listKeys(id)).map((key) => store.entryDir(id, key)), ...(await store.listWorkDirs(id))];
        for (const folder of folders) {
          process.stdout.write(`${dryRun ? "would remove" : "removing"} ${folder}\n`);
          if (!dryRun) {
            await store.remove(folder);
            await store.removeEmptyParents(folder);
          }
          removed += 1;
        }
      }
    }
    await store.memo.save();
    process.stdout.write(`${dryRun ? "would remove" : "removed"} ${removed} folder(s)\n`);
    return 0;
  });
}
