/**
 * Rendering of the report as Markdown: the tables in the layout of HyperTuning (Phang et al., 2022), with methods as
 * rows and tasks and AVG as columns, then the figures with their numbers, the training stages and the provenance.
 */
import { missingFootnote } from "./eval-tables.js";
import type { Report, ReportPlot, ReportTable, TableRow } from "./model.js";

const missing = "—";

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? missing : value.toFixed(1);
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null) return missing;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function markdownRow(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
}

function columnIds(table: ReportTable): string[] {
  return [...table.columns.map((column) => column.id), "average"];
}

function renderTable(table: ReportTable, paperModelLabel: string | null): string[] {
  const ids = columnIds(table);
  const header = ["Method", ...table.columns.map((column) => column.label), "AVG"];
  const lines = [
    `### ${table.title}`,
    "",
    `Layout of table ${table.paperTable} of HyperTuning (Phang et al., 2022). Metric: ${table.metric}.`,
    "",
    markdownRow(header),
    markdownRow(header.map((_, index) => (index === 0 ? "---" : "---:"))),
  ];
  let group: string | undefined;
  for (const row of table.rows) {
    if (row.group !== group) {
      group = row.group;
      lines.push(markdownRow([`**${group}**`, ...ids.map(() => "")]));
    }
    lines.push(...renderRow(row, ids));
  }
  const details = table.rows.filter((row) => row.detail !== undefined);
  lines.push("");
  const oursMissing = table.rows.some((row) => row.cells !== null && ids.some((id) => row.cells![id] == null));
  const paperMissing = table.rows.some((row) => row.reference !== undefined && ids.some((id) => row.reference!.cells[id] == null));
  for (const footnote of table.footnotes) {
    if (footnote !== missingFootnote || oursMissing) lines.push(`${footnote}  `);
  }
  if (paperMissing) lines.push("— in a *paper* row: HyperTuning prints no number for this column.  ");
  if (table.rows.some((row) => row.reference !== undefined)) {
    lines.push(`*paper* rows: the numbers printed in HyperTuning (Phang et al., 2022) for ${paperModelLabel}, for reference; they are not results of this pipeline.  `);
  }
  if (details.length > 0) {
    lines.push("", "Learning rate chosen per task (best final score averaged over seeds):", "");
    for (const row of details) lines.push(`- ${row.label}: ${row.detail}`);
  }
  lines.push("");
  return lines;
}

function renderRow(row: TableRow, ids: string[]): string[] {
  const lines: string[] = [];
  if (row.cells !== null) {
    const cells = row.cells;
    lines.push(markdownRow([row.label, ...ids.map((id) => formatScore(cells[id]))]));
  }
  if (row.reference !== undefined) {
    const reference = row.reference;
    const label = row.cells === null ? `${row.label} *(paper, table ${reference.table})*` : `↳ *paper, table ${reference.table}*`;
    lines.push(markdownRow([label, ...ids.map((id) => (reference.cells[id] == null ? missing : `*${formatScore(reference.cells[id])}*`))]));
  }
  return lines;
}

function renderPlot(plot: ReportPlot): string[] {
  const lines = [`### ${plot.title}`, "", `![${plot.title}](${plot.file})`, ""];
  const xs = [...new Set(plot.series.flatMap((series) => series.points.map((point) => point.x)))].sort((a, b) => a - b);
  if (xs.length === 0) return [...lines, "No results for this figure.", ""];
  lines.push(markdownRow([plot.xLabel, ...plot.series.map((series) => series.label)]));
  lines.push(markdownRow(["---:", ...plot.series.map(() => "---:")]));
  for (const x of xs) {
    lines.push(markdownRow([String(x), ...plot.series.map((series) => formatScore(series.points.find((point) => point.x === x)?.y))]));
  }
  lines.push("");
  return lines;
}

function renderTraining(report: Report): string[] {
  if (report.training.length === 0) return [];
  const lines = [
    "## Training stages",
    "",
    "Final loss: mean training loss (cross-entropy per target token, nats) over the last 10 steps (fewer in a shorter run) of the stage's last training phase.",
    "",
    markdownRow(["Stage", "Kind", "Detail", "Steps", "Final loss", "Estimated FLOPs", "Wall time"]),
    markdownRow(["---", "---", "---", "---:", "---:", "---:", "---:"]),
  ];
  for (const row of report.training) {
    lines.push(
      markdownRow([
        `\`${row.stage}\``,
        row.kind,
        row.detail ?? "",
        String(row.steps),
        row.finalLoss.toFixed(4),
        row.estimatedFlops === null ? missing : row.estimatedFlops.toExponential(2),
        formatSeconds(row.wallSeconds),
      ]),
    );
  }
  lines.push("");
  return lines;
}

function renderProvenance(report: Report): string[] {
  const provenance = report.provenance;
  const dirty = provenance.gitDirty === true ? " (with uncommitted changes to tracked files)" : "";
  const cacheHits =
    provenance.cacheHits === null
      ? "unknown (HYPERTUNE_RUN_STARTED, the run's start time, was not set)"
      : `${provenance.cacheHits} of ${provenance.stages.length} upstream stages`;
  const lines = [
    "## Provenance",
    "",
    `- Profile: \`${report.profile}\`, digest \`${provenance.profileDigest ?? "unknown (profile file not found)"}\``,
    `- Git commit: \`${provenance.gitCommit ?? "unknown (not a git work tree)"}\`${dirty}`,
    `- Tensor backend: ${provenance.backend ?? "not recorded"}`,
    `- Stage keys digest: \`${provenance.stageKeysDigest}\``,
    `- Generated: ${provenance.generatedAt}`,
    `- Wall time of the stages, summed: ${formatSeconds(provenance.totalWallSeconds)}`,
    `- Cache hits in the run that built this report: ${cacheHits}`,
    ...(provenance.unresolvedStages.length > 0
      ? [`- Stages no longer in the artifacts folder (not listed below): ${provenance.unresolvedStages.map((id) => `\`${id}\``).join(", ")}`]
      : []),
    "",
    markdownRow(["Stage", "Kind", "Key", "Wall time", "Cache hit"]),
    markdownRow(["---", "---", "---", "---:", "---"]),
  ];
  for (const stage of provenance.stages) {
    let hit = missing;
    if (stage.cacheHit !== null) hit = stage.cacheHit ? "yes" : "no";
    lines.push(markdownRow([`\`${stage.id}\``, stage.kind, `\`${stage.key.slice(0, 16)}\``, formatSeconds(stage.wallSeconds), hit]));
  }
  lines.push("");
  return lines;
}

const modelLabels = { "t5-large": "T5-Large", "t5-xl": "T5-XL" } as const;

/** Renders the whole report as a Markdown document. */
export function renderMarkdown(report: Report): string {
  const paperModelLabel = report.referenceModel === null ? null : modelLabels[report.referenceModel];
  const lines = [
    `# HyperTuning benchmark report: profile \`${report.profile}\``,
    "",
    "Scores are percentages, rounded to one decimal. Every number outside the rows marked *paper* comes from a stage",
    "of this profile's pipeline (built in this run or taken from the cache, see Provenance).",
    paperModelLabel === null
      ? "This profile has no counterpart in HyperTuning (Phang et al., 2022), so no paper numbers are shown."
      : `Rows marked *paper* repeat the numbers that HyperTuning (Phang et al., 2022) reports for ${paperModelLabel}.`,
    "",
    "## Tables",
    "",
  ];
  for (const table of report.tables) {
    const hasResults = table.rows.some((row) => row.cells !== null && Object.values(row.cells).some((value) => value !== null));
    if (!hasResults && paperModelLabel === null) {
      lines.push(`### ${table.title}`, "", `No stage of this profile produces this table (table ${table.paperTable} of HyperTuning, Phang et al. 2022).`, "");
      continue;
    }
    lines.push(...renderTable(table, paperModelLabel));
  }
  if (report.plots.length > 0) {
    lines.push("## Figures", "");
    for (const plot of report.plots) lines.push(...renderPlot(plot));
  }
  lines.push(...renderTraining(report), ...renderProvenance(report));
  return lines.join("\n");
}
