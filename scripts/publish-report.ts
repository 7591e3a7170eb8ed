/**
 * `npm run publish-report -- [--profile NAME] [--from DIR] [--to DIR]`: copies a finished report to
 * `reports/published/<date>-<short digest>/` and rewrites the index of published runs. An earlier publication is
 * never overwritten.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PublishError, publishReport } from "../src/report/publish.js";
import { ReportSchemaError } from "../src/report/schema.js";

/** Project root: this module runs as `dist/scripts/publish-report.js`. */
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const help = `Usage: npm run publish-report -- [options]

Copies a finished report (REPORT.md, report.json, SVG figures) to reports/published/<date>-<digest>/, where
<date> is the report's generation date (UTC) and <digest> the start of its stage keys digest, and rewrites
reports/published/README.md, the index of published runs. Fails if that folder exists already.

Options:
  --profile NAME  profile whose report to publish: reports/NAME/ (default: default)
  --from DIR      report folder to publish instead of reports/NAME/
  --to DIR        folder of published reports (default: reports/published)
  -h, --help      show this help
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        profile: { type: "string", default: "default" },
        from: { type: "string" },
        to: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${help}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const source = path.resolve(values.from ?? path.join(projectRoot, "reports", values.profile));
  const publishedRoot = path.resolve(values.to ?? path.join(projectRoot, "reports", "published"));
  try {
    const target = publishReport(source, publishedRoot);
    process.stdout.write(`Published ${path.relative(process.cwd(), source) || "."} to ${path.relative(process.cwd(), target)}\n`);
    process.stdout.write(`Index updated: ${path.relative(process.cwd(), path.join(publishedRoot, "README.md"))}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PublishError || error instanceof ReportSchemaError) {
      process.stderr.write(`publish-report: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
