/**
 * The `hyperpretrain/<hypermodel>[/prefix-only]` stage: context-augmented conditional language modeling on the
 * tokenized corpus with the downstream T5 frozen. The output contains `checkpoint-<step>/` HyperT5 folders and
 * `hyperpretrain.json`.
 */

import path from "node:path";

import type { StageKind } from "../src/engine/stage.js";
import { runHyperpretraining } from "../src/experiments/hyperpretraining.js";
import { CorpusWindows, type HyperpretrainVariant } from "../src/experiments/objectives/index.js";
import { downstreamModelFolder, inputFolder, specialIds, StageData, StageParams } from "../src/experiments/stage-inputs.js";
import { initBackend, loadT5 } from "../src/models/index.js";
import type { HypermodelName, PeftShape, TrainingSpec } from "../profiles/schema.js";

const hyperpretrain: StageKind = {
  async run(context) {
    const params = new StageParams(context);
    await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
    const data = new StageData(context);
    const corpus = data.corpus();
    const documents = Array.from({ length: corpus.documentCount }, (_, index) => corpus.document(index));
    const special = specialIds(data.tokenizerInfo);
    const downstream = loadT5(path.join(inputFolder(context, "pretrain"), downstreamModelFolder));
    const summary = await runHyperpretraining(context, downstream, new CorpusWindows(documents, special.eos), special, {
      hypermodel: params.string<HypermodelName>("hypermodel"),
      objective: {
        variant: params.string<HyperpretrainVariant>("variant"),
        windowLength: params.number("windowLength"),
        downstreamInputLength: params.number("downstreamInputLength"),
        targetLength: params.number("targetLength"),
      },
      training: params.object<TrainingSpec>("training"),
      checkpointSteps: params.numbers("checkpointSteps"),
      peftShape: params.object<PeftShape>("peftShape"),
      seed: params.number("seed"),
    });
    return { ...summary };
  },
};

export default hyperpretrain;
