/** Locations inside the project that the engine needs by default. */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: this file is `<root>/dist/src/engine/project.js` once compiled. */
export function defaultProjectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

/** Compiled JavaScript of a project source file: `stages/index.ts` is run as `dist/stages/index.js`. */
export function compiledPath(projectRoot: string, sourcePath: string): string {
  return path.join(projectRoot, "dist", sourcePath.replace(/\.ts$/, ".js"));
}

export function defaultPipelineFile(projectRoot: string): string {
  return compiledPath(projectRoot, "stages/index.ts");
}

/** `$HYPERTUNE_ARTIFACTS` when set, otherwise `artifacts/` in the project root. */
export function defaultArtifactsDir(projectRoot: string): string {
  const fromEnvironment = process.env.HYPERTUNE_ARTIFACTS;
  return fromEnvironment !== undefined && fromEnvironment !== "" ? path.resolve(fromEnvironment) : path.join(projectRoot, "artifacts");
}
