/**
 * The report's figures as data: hyper-init PEFT curves (figures 6, 11 and 12 of HyperTuning, Phang et al. 2022)
 * and score against hyperpretraining steps (figure 4).
 */
import type { EvalDataset, EvalSummary, PeftMethod, PeftSummary } from "../experiments/results.js";
import type { PlotSeries, ReportPlot } from "./model.js";
import { methodLabels } from "./eval-tables.js";
import { hyperInitCurves, peftMethodLabels } from "./peft-tables.js";

const datasetLabels: Record<EvalDataset, string> = {
  p3: "P3",
  "metaicl/hr_to_lr": "MetaICL HR→LR",
  "metaicl/non_nli_to_nli": "MetaICL Non-NLI→NLI",
  "metaicl/non_class_to_class": "MetaICL Non-Class→Class",
  "sni/def": "S-NI (Def)",
  "sni/def-2pos": "S-NI (Def+2Pos)",
};

/** One plot per PEFT method that has runs: average score against PEFT steps, one line per initialization. */
export function hyperInitPlots(peft: PeftSummary[]): ReportPlot[] {
  const methods: PeftMethod[] = ["prefix-flat", "prefix-mlp", "lora"];
  return methods
    .filter((method) => peft.some((run) => run.method === method))
    .map((method) => ({
      id: `hyper-init-${method}`,
      title: `${peftMethodLabels[method]}: average score by initialization`,
      file: `hyper-init-${method}.svg`,
      xLabel: "PEFT steps",
      yLabel: "average score over tasks (%)",
      series: hyperInitCurves(peft, method),
    }));
}

/**
 * One plot per dataset with a hyperpretraining-steps sweep: average score against steps, one line per method
 * evaluated at two or more step counts. Only prefix-and-suffix hyperpretraining is swept; the prefix-only variant
 * is a separate ablation. The fully hyperpretrained run is the sweep's last point when its evaluation records steps.
 */
export function hyperpretrainStepPlots(evals: EvalSummary[]): ReportPlot[] {
  const withSteps = evals.filter((summary) => summary.hyperpretrainSteps !== undefined && summary.hyperpretrainVariant !== "prefix-only");
  const seriesByDataset = new Map<EvalDataset, PlotSeries[]>();
  for (const dataset of [...new Set(withSteps.map((summary) => summary.dataset))].sort()) {
    const forDataset = withSteps.filter((summary) => summary.dataset === dataset);
    const methods = [...new Set(forDataset.map((summary) => summary.method))].sort();
    const series: PlotSeries[] = methods
      .map((method) => ({
        label: methodLabels[method],
        points: forDataset
          .filter((summary) => summary.method === method)
          .map((summary) => ({ x: summary.hyperpretrainSteps!, y: summary.average }))
          .sort((a, b) => a.x - b.x),
      }))
      .filter((line) => line.points.length >= 2);
    if (series.length > 0) seriesByDataset.set(dataset, series);
  }
  return [...seriesByDataset].map(([dataset, series]) => {
    const slug = dataset.replace(/[^a-z0-9]+/g, "-");
    return {
      id: `hyperpretrain-steps-${slug}`,
      title: `${datasetLabels[dataset]}: score against hyperpretraining steps`,
      file: `hyperpretrain-steps-${slug}.svg`,
      xLabel: "hyperpretraining steps",
      yLabel: "average score (%)",
      series,
    };
  });
}
