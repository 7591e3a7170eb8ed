/**
 * The report as data: what `report.json` holds and what `REPORT.md` and the SVG plots are rendered from.
 * Scores are in percent; a cell without a result is `null`, never a filled-in number.
 */

export interface TableColumn {
  id: string;
  label: string;
}

/** The HyperTuning paper's printed numbers for a row, by the same column ids as ours. */
export interface ReferenceCells {
  table: number;
  label: string;
  cells: { [columnId: string]: number | null };
}

export interface TableRow {
  label: string;
  /** Section of the table, e.g. "Full Fine-Tuning" or "HyperTuning". */
  group: string;
  /** Our scores by column id; `null` for a row this pipeline does not run (reference rows such as T0). */
  cells: { [columnId: string]: number | null } | null;
  reference?: ReferenceCells;
  /** How the cells were obtained where that is not obvious (learning rates chosen, seeds averaged). */
  detail?: string;
}

export interface ReportTable {
  id: string;
  title: string;
  /** Number of the table of the HyperTuning paper that this table follows. */
  paperTable: number;
  metric: string;
  columns: TableColumn[];
  rows: TableRow[];
  footnotes: string[];
}

export interface PlotSeries {
  label: string;
  points: { x: number; y: number }[];
}

export interface ReportPlot {
  id: string;
  title: string;
  /** File name of the SVG, next to REPORT.md. */
  file: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
}

export interface StageProvenance {
  id: string;
  kind: string;
  key: string;
  wallSeconds: number | null;
  finishedAt: string | null;
  /** True when the stage was published before this report's pipeline run began; null when unknown. */
  cacheHit: boolean | null;
}

export interface Provenance {
  generatedAt: string;
  gitCommit: string | null;
  /** True when tracked files differed from the commit; null when git was unavailable. */
  gitDirty: boolean | null;
  /** SHA-256 of the profile file, or null when the profile file was not found. */
  profileDigest: string | null;
  /** SHA-256 over the sorted `id=key` lines of every upstream stage: the identity of the results. */
  stageKeysDigest: string;
  backend: string | null;
  /** Every stage the report depends on, directly or further upstream. */
  stages: StageProvenance[];
  /** Ids of stages further upstream whose entries were no longer in the artifacts folder. */
  unresolvedStages: string[];
  totalWallSeconds: number;
  cacheHits: number | null;
}

export interface TrainingRow {
  stage: string;
  kind: string;
  steps: number;
  finalLoss: number;
  estimatedFlops: number | null;
  wallSeconds: number | null;
  /** Hypermodel and variant for hyperpretraining stages. */
  detail: string | null;
}

export interface Report {
  schemaVersion: 1;
  profile: string;
  /** The paper model whose numbers are shown beside ours, or null for profiles without a paper counterpart. */
  referenceModel: "t5-large" | "t5-xl" | null;
  provenance: Provenance;
  tables: ReportTable[];
  plots: ReportPlot[];
  training: TrainingRow[];
}
