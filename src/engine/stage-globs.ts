/**
 * Stage id globs as `--only`, `--force` and `clean` take them, with picomatch semantics, and the hint shown when a
 * glob matches no stage.
 */
import picomatch from "picomatch";

/** Ids among `ids` that `glob` matches, in the given order. */
export function matchingIds(glob: string, ids: string[]): string[] {
  const isMatch = picomatch(glob);
  return ids.filter((id) => id === glob || isMatch(id));
}

/**
 * Explains why `glob` matched none of `ids`. When widening each lone `*` to `**` would match, the hint names that
 * glob and a few of the ids it matches.
 */
export function noMatchHint(glob: string, ids: string[]): string {
  const widened = glob.replace(/(?<!\*)\*(?!\*)/g, "**");
  if (widened === glob) return "";
  const hits = matchingIds(widened, ids);
  if (hits.length === 0) return "";
  const shown = hits.slice(0, 5).join(", ") + (hits.length > 5 ? `, and ${hits.length - 5} more` : "");
  return ` \`*\` does not cross \`/\`; did you mean \`${widened}\`? It matches ${shown}.`;
}
