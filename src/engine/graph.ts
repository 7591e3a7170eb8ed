/** Checks on a resolved stage graph, its topological order, and selection of stages by id globs. */
import { InputError } from "./errors.js";
import type { StageDefinition } from "./stage.js";

const segment = "[A-Za-z0-9_][A-Za-z0-9._-]*";
const stageIdPattern = new RegExp(`^${segment}(/${segment})*$`);
const keyNamePattern = /^[0-9a-f]{64}$/;

/**
 * Validates the stages a pipeline module returned and returns them in a topological order (upstream first,
 * otherwise in the order given). Throws an error naming every problem.
 */
export function orderStages(stages: StageDefinition[], source: string): StageDefinition[] {
  const problems: string[] = [];
  const byId = new Map<string, StageDefinition>();
  for (const stage of stages) {
    if (typeof stage.id !== "string" || !stageIdPattern.test(stage.id) || stage.id.split("/").some((part) => keyNamePattern.test(part))) {
      problems.push(`stage id ${JSON.stringify(stage.id)} is invalid: expected path segments of letters, digits, ".", "_" and "-"`);
      continue;
    }
    if (byId.has(stage.id)) problems.push(`stage id "${stage.id}" is defined twice`);
    byId.set(stage.id, stage);
    if (stage.resource !== "cpu" && stage.resource !== "gpu") {
      problems.push(`stage "${stage.id}" has resource ${JSON.stringify(stage.resource)}; expected "cpu" or "gpu"`);
    }
    if (!Array.isArray(stage.code) || stage.code.length === 0) {
      problems.push(`stage "${stage.id}" declares no code globs; its key would not change when its code does`);
    }
  }
  for (const stage of byId.values()) {
    for (const upstream of stage.upstream) {
      if (!byId.has(upstream)) problems.push(`stage "${stage.id}" names upstream "${upstream}", which is not a stage`);
    }
  }
  if (problems.length > 0) throw new InputError(`Invalid stage graph from ${source}:\n  ${problems.join("\n  ")}`);

  const ordered: StageDefinition[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (stage: StageDefinition, path: string[]): void => {
    const seen = state.get(stage.id);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(stage.id)), stage.id];
      throw new InputError(`Invalid stage graph from ${source}: cycle ${cycle.join(" -> ")}`);
    }
    state.set(stage.id, "visiting");
    for (const upstream of stage.upstream) visit(byId.get(upstream)!, [...path, stage.id]);
    state.set(stage.id, "done");
    ordered.push(stage);
  };
  for (const stage of byId.values()) visit(stage, []);
  return ordered;
}

/** Ids of the stages matching any of `globs` (see `stage-globs.ts`); a glob matching none is an error. */
export async function matchStages(stages: StageDefinition[], globs: string[], option: string): Promise<Set<string>> {
  const matched = new Set<string>();
  if (globs.length === 0) return matched;
  // Loaded here so that a run without globs does not load picomatch.
  const { matchingIds, noMatchHint } = await import("./stage-globs.js");
  const ids = stages.map((stage) => stage.id);
  for (const glob of globs) {
    const hits = matchingIds(glob, ids);
    if (hits.length === 0) throw new InputError(`${option} ${glob} matches no stage of this profile.${noMatchHint(glob, ids)}`);
    for (const id of hits) matched.add(id);
  }
  return matched;
}

/** `ids` and every stage they depend on, directly or not. */
export function withUpstream(stages: StageDefinition[], ids: Set<string>): Set<string> {
  const byId = new Map(stages.map((stage) => [stage.id, stage]));
  const result = new Set<string>();
  const add = (id: string): void => {
    if (result.has(id)) return;
    result.add(id);
    for (const upstream of byId.get(id)!.upstream) add(upstream);
  };
  for (const id of ids) add(id);
  return result;
}
