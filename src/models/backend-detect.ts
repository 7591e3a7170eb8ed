/**
 * Cheap detection of the TensorFlow.js backend a run will use, without importing tfjs: the engine puts the result
 * in every stage key, so it must not pay for loading a backend.
 */
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface DetectedBackend {
  name: BackendName;
  /** Versions of the tfjs packages the backend uses, e.g. `{"@tensorflow/tfjs": "4.22.0"}`. */
  packages: Record<string, string>;
}

const require = createRequire(import.meta.url);

/** The native TensorFlow packages, best first. */
export const nativePackages = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
export const wasmPackage = "@tensorflow/tfjs-backend-wasm";
export const corePackage = "@tensorflow/tfjs";

/** The folder of an installed package, or undefined when it does not resolve. */
function packageFolder(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function packageVersion(folder: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/** Files named `name` anywhere below `folder` (shallow enough for a package's lib folder). */
function findFile(folder: string, name: string, depth = 3): string | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory() && depth > 0 && entry.name !== "node_modules") {
      const found = findFile(full, name, depth - 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The installed native package whose compiled binding exists, if any. */
function nativeAvailable(): { name: string; folder: string } | undefined {
  for (const name of nativePackages) {
    const folder = packageFolder(name);
    // The package can resolve while its install script failed to fetch the binding, and then it cannot load.
    if (folder !== undefined && findFile(path.join(folder, "lib"), "tfjs_binding.node") !== undefined) {
      return { name, folder };
    }
  }
  return undefined;
}

function wasmAvailable(): string | undefined {
  const folder = packageFolder(wasmPackage);
  if (folder === undefined) return undefined;
  const dist = path.join(folder, "dist");
  const binaries = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"];
  return binaries.every((file) => fs.existsSync(path.join(dist, file))) ? folder : undefined;
}

function withCore(packages: Record<string, string>): Record<string, string> {
  const core = packageFolder(corePackage);
  if (core !== undefined) packages[corePackage] = packageVersion(core);
  return packages;
}

/**
 * Chooses the backend: an explicit `requested` name if it is available (an error otherwise), else native
 * TensorFlow, then wasm, then the pure-JS cpu backend.
 */
export function detectBackend(requested?: string): DetectedBackend {
  if (requested !== undefined && !["tensorflow", "wasm", "cpu"].includes(requested)) {
    throw new Error(`Unknown backend "${requested}": expected one of tensorflow, wasm, cpu.`);
  }
  const native = requested === undefined || requested === "tensorflow" ? nativeAvailable() : undefined;
  if (native !== undefined) {
    return { name: "tensorflow", packages: withCore({ [native.name]: packageVersion(native.folder) }) };
  }
  if (requested === "tensorflow") {
    throw new Error(
      `Backend "tensorflow" requested, but neither ${nativePackages.join(" nor ")} is installed with its native binding.`,
    );
  }
  const wasm = requested === undefined || requested === "wasm" ? wasmAvailable() : undefined;
  if (wasm !== undefined) return { name: "wasm", packages: withCore({ [wasmPackage]: packageVersion(wasm) }) };
  if (requested === "wasm") {
    throw new Error(`Backend "wasm" requested, but ${wasmPackage} is not installed with its .wasm binaries.`);
  }
  return { name: "cpu", packages: withCore({}) };
}
