/**
 * The `pretrain` stage: the frozen downstream T5. Profiles with a model trained from scratch run span corruption
 * then LM adaptation on the tokenized corpus; the Hugging Face profiles download an LM-adapted checkpoint instead.
 * Either way the output contains the checkpoint as `model/` (config.json and model.safetensors).
 */

import path from "node:path";

import type { StageKind, StageSummary } from "../src/engine/stage.js";
import { downloadCheckpoint } from "../src/experiments/hub-checkpoint.js";
import { pretrainPhases, runPretrainPhase, scratchConfig } from "../src/experiments/pretraining.js";
import type { TrainingSummary } from "../src/experiments/results.js";
import { downstreamModelFolder, specialIds, StageData, StageParams } from "../src/experiments/stage-inputs.js";
import { CorpusWindows } from "../src/experiments/objectives/index.js";
import { initBackend, loadT5, saveT5, T5Model } from "../src/models/index.js";
import type { ModelSpec, PretrainSpec } from "../profiles/schema.js";

const pretrain: StageKind = {
  async run(context): Promise<StageSummary> {
    const started = Date.now();
    const params = new StageParams(context);
    const model = params.object<ModelSpec>("model");
    const output = path.join(context.outputDir, downstreamModelFolder);

    if (model.source === "huggingface") {
      const folder = await downloadCheckpoint(model.repository, model.revision, path.join(context.workDir, "download"), context.signal);
      await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
      const loaded = loadT5(folder);
      await saveT5(loaded, output);
      // A downloaded checkpoint has no training record: the summary names its source instead of a TrainingSummary.
      return { source: `${model.repository}@${model.revision}`, steps: 0, estimatedFlops: 0, wallSeconds: (Date.now() - started) / 1000 };
    }

    const spec = params.object<PretrainSpec>("pretrain");
    const seed = params.number("seed");
    await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
    const data = new StageData(context);
    const corpus = data.corpus();
    const documents = Array.from({ length: corpus.documentCount }, (_, index) => corpus.document(index));
    const special = specialIds(data.tokenizerInfo);
    const windows = new CorpusWindows(documents, special.eos);
    const t5 = T5Model.create(scratchConfig(model.config, data.tokenizerInfo), seed);
    const phases = pretrainPhases(windows, special, spec, spec.spanCorruption, spec.lmAdaptation);

    const results = [];
    for (const phase of phases) results.push(await runPretrainPhase(context, t5, phase, seed, spec.checkpointEvery));
    await saveT5(t5, output);

    const summary: TrainingSummary = {
      kind: "pretrain",
      steps: results.reduce((sum, result) => sum + result.steps, 0),
      finalLoss: results.at(-1)!.finalLoss,
      estimatedFlops: results.reduce((sum, result) => sum + result.estimatedFlops, 0),
      wallSeconds: (Date.now() - started) / 1000,
    };
    return { ...summary, spanCorruptionLoss: results[0]!.finalLoss, lmAdaptationLoss: results[1]!.finalLoss };
  },
};

export default pretrain;
