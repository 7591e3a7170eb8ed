#!/usr/bin/env node
/**
 * Command-line entry of hypertune-bench: `npm run pipeline -- <command> [options]`.
 *
 * Each command lives in its own module under `src/cli/` and is imported only when used, so that cheap commands
 * (a fully cached `run`, `plan`, `status`) do not pay for loading TensorFlow.js.
 */
import { commandTable, runCommand } from "./src/cli/dispatch.js";

const exitCode = await runCommand(process.argv.slice(2), commandTable);
process.exitCode = exitCode;
