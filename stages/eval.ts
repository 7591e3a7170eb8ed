/**
 * The `eval/<dataset>/<method>` stage: scores an MTF-trained method on the held-out tasks of its dataset. The
 * output contains `predictions.jsonl` (one record per example) and `scores.json` (per-task scores and the average).
 * Scored tasks are kept in the work folder, so a stopped run resumes with the remaining tasks.
 */

import fs from "node:fs";
import path from "node:path";

import type { StageKind } from "../src/engine/stage.js";
import { evaluateCollection } from "../src/experiments/evaluation.js";
import { loadTrainedMethod } from "../src/experiments/learners.js";
import type { EvalDataset, EvalSummary, MtfMethod } from "../src/experiments/results.js";
import { downstreamModelFolder, inputFolder, sequenceLengths, specialIds, StageData, StageParams } from "../src/experiments/stage-inputs.js";
import { initBackend } from "../src/models/index.js";
import type { EvalSpec } from "../profiles/schema.js";

const evaluation: StageKind = {
  async run(context) {
    const started = Date.now();
    const params = new StageParams(context);
    await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
    const data = new StageData(context);
    const dataset = params.string<EvalDataset>("dataset");
    const method = params.string<MtfMethod>("method");
    const spec = params.object<EvalSpec>("eval");
    const trained = loadTrainedMethod(inputFolder(context, params.string("mtfStage")), path.join(inputFolder(context, "pretrain"), downstreamModelFolder));
    try {
      const result = evaluateCollection(
        {
          dataset,
          method,
          collection: data.collection(params.string("collection")),
          tokenizer: data.tokenizer(),
          model: trained,
          fewShotCount: spec.fewShotCount,
          fewShotSeed: spec.fewShotSeed,
          maxTestExamplesPerTask: spec.maxTestExamplesPerTask,
          maxGenerationLength: spec.maxGenerationLength,
          batchSize: spec.batchSize,
          lengths: sequenceLengths({
            maxHyperInputLength: params.number("maxHyperInputLength"),
            maxInputLength: params.number("maxInputLength"),
            maxTargetLength: spec.maxGenerationLength,
          }),
          special: specialIds(data.tokenizerInfo),
        },
        (task, done, total) => {
          if (context.signal.aborted) throw new Error(`Stopped after task ${task}; the next run resumes with the remaining tasks.`);
          context.emit({ type: "progress", step: done, total, phase: task });
        },
        path.join(context.workDir, "scored-tasks"),
      );
      fs.writeFileSync(path.join(context.outputDir, "predictions.jsonl"), result.predictions.map((record) => JSON.stringify(record)).join("\n") + "\n");
      const summary: EvalSummary = { kind: "eval", dataset, method, metric: result.metric, average: result.average, tasks: result.tasks, examples: result.examples };
      const steps = params.optionalNumber("hyperpretrainSteps");
      const variant = params.optionalString("hyperpretrainVariant") as EvalSummary["hyperpretrainVariant"];
      if (steps !== undefined) summary.hyperpretrainSteps = steps;
      if (variant !== undefined) summary.hyperpretrainVariant = variant;
      fs.writeFileSync(path.join(context.outputDir, "scores.json"), JSON.stringify(summary, null, 2) + "\n");
      context.emit({ type: "metric", name: `${dataset}/${method}/average`, value: result.average });
      return { ...summary, wallSeconds: (Date.now() - started) / 1000, estimatedFlops: result.estimatedFlops };
    } finally {
      trained.dispose();
    }
  },
};

export default evaluation;
