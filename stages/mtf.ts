/**
 * The `mtf/<dataset>/<method>` stage: multi-task fine-tuning of one method on one dataset's training tasks. The
 * output contains the trained parts (`model/`, `adapter*`, `hypermodel/`) and `mtf.json` listing them.
 */

import path from "node:path";

import type { StageKind } from "../src/engine/stage.js";
import { runMultitaskFineTuning } from "../src/experiments/multitask.js";
import type { EvalDataset, MtfMethod } from "../src/experiments/results.js";
import { downstreamModelFolder, inputFolder, sequenceLengths, specialIds, StageData, StageParams } from "../src/experiments/stage-inputs.js";
import { initBackend, loadT5 } from "../src/models/index.js";
import type { PeftShape, TrainingSpec } from "../profiles/schema.js";

const mtf: StageKind = {
  async run(context) {
    const params = new StageParams(context);
    await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
    const data = new StageData(context);
    const hyperpretrainStage = params.optionalString("hyperpretrainStage");
    const hyperpretrainCheckpoint = params.optionalNumber("hyperpretrainCheckpoint");
    const summary = await runMultitaskFineTuning(context, {
      dataset: params.string<EvalDataset>("dataset"),
      method: params.string<MtfMethod>("method"),
      collection: data.collection(params.string("collection")),
      downstream: loadT5(path.join(inputFolder(context, "pretrain"), downstreamModelFolder)),
      ...(hyperpretrainStage !== undefined ? { hyperpretrainFolder: inputFolder(context, hyperpretrainStage) } : {}),
      ...(hyperpretrainCheckpoint !== undefined ? { hyperpretrainCheckpoint } : {}),
      training: params.object<TrainingSpec>("training"),
      fewShotCount: params.number("fewShotCount"),
      lengths: sequenceLengths({
        maxHyperInputLength: params.number("maxHyperInputLength"),
        maxInputLength: params.number("maxInputLength"),
        maxTargetLength: params.number("maxTargetLength"),
      }),
      special: specialIds(data.tokenizerInfo),
      peftShape: params.object<PeftShape>("peftShape"),
      seed: params.number("seed"),
    });
    return { ...summary, dataset: params.string("dataset"), method: params.string("method") };
  },
};

export default mtf;
