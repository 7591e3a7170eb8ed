/**
 * The `peft/<task>/<method>/<init>/<lr>/<seed>` stage: tunes Prefix-Flat, Prefix-MLP or LoRA on one held-out P3
 * task from a random, shared or hyper initialization, scoring along training. The output contains the tuned adapter
 * and `curve.json`.
 */

import path from "node:path";

import type { StageKind } from "../src/engine/stage.js";
import { runPeft } from "../src/experiments/peft-sweep.js";
import type { PeftInit, PeftMethod } from "../src/experiments/results.js";
import { downstreamModelFolder, inputFolder, sequenceLengths, specialIds, StageData, StageParams } from "../src/experiments/stage-inputs.js";
import { initBackend, loadT5 } from "../src/models/index.js";
import type { PeftShape } from "../profiles/schema.js";

const peft: StageKind = {
  async run(context) {
    const params = new StageParams(context);
    await initBackend(undefined, (line) => context.emit({ type: "log", level: "info", message: line }));
    const data = new StageData(context);
    const initStage = params.optionalString("initStage");
    const downstream = loadT5(path.join(inputFolder(context, "pretrain"), downstreamModelFolder));
    try {
      const summary = await runPeft(context, {
        task: data.collection(params.string("collection")).task(params.string("task")),
        method: params.string<PeftMethod>("method"),
        init: params.string<PeftInit>("init"),
        learningRate: params.number("learningRate"),
        seed: params.number("seed"),
        downstream,
        ...(initStage !== undefined ? { initFolder: inputFolder(context, initStage) } : {}),
        steps: params.number("steps"),
        batchSize: params.number("batchSize"),
        evaluateEvery: params.number("evaluateEvery"),
        hyperInitExamples: params.number("hyperInitExamples"),
        maxTestExamples: params.number("maxTestExamples"),
        lengths: sequenceLengths({
          maxHyperInputLength: params.number("maxHyperInputLength"),
          maxInputLength: params.number("maxInputLength"),
          maxTargetLength: params.number("maxTargetLength"),
        }),
        special: specialIds(data.tokenizerInfo),
        peftShape: params.object<PeftShape>("peftShape"),
      });
      return { ...summary };
    } finally {
      downstream.dispose();
    }
  },
};

export default peft;
