import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGreedy, initBackend, PrefixFlat, scoreChoices, T5Model, type PeftParameters } from "../../src/models/index.js";
import { tinyConfig } from "./helpers.js";

const config = tinyConfig();
let model: T5Model;
const examples = [
  { inputIds: [5, 6, 7, 1], choices: [[3, 1], [4, 9, 1], [2]] },
  { inputIds: [8, 1], choices: [[10, 11, 12, 1], [3, 1]] },
];

beforeAll(async () => {
  await initBackend(undefined, () => {});
  model = T5Model.create(config, 31);
});

afterAll(() => model.dispose());

/** Summed log-likelihood of one target computed from the mean loss of a one-row batch. */
function scoreFromLoss(inputIds: number[], target: number[], peft?: PeftParameters): number {
  return tf.tidy(() => {
    const loss = model.loss(
      { inputIds: tf.tensor2d([inputIds], undefined, "int32"), attentionMask: tf.ones([1, inputIds.length], "int32") as tf.Tensor2D, labels: tf.tensor2d([target], undefined, "int32") },
      { peft },
    );
    return -(loss.dataSync()[0] as number) * target.length;
  });
}

describe("rank classification scoring", () => {
  it("scores equal summed log-likelihoods", () => {
    const scores = scoreChoices(model, examples, { batchSize: 2 });
    examples.forEach((example, i) =>
      example.choices.forEach((choice, c) => expect(scores[i]![c]).toBeCloseTo(scoreFromLoss(example.inputIds, choice), 4)),
    );
  });

  it("batch size does not change scores", () => {
    const small = scoreChoices(model, examples, { batchSize: 1 });
    const large = scoreChoices(model, examples, { batchSize: 16 });
    small.flat().forEach((score, i) => expect(score).toBeCloseTo(large.flat()[i]!, 4));
  });

  it("per-example prefixes apply to their example", () => {
    const prefixes = [PrefixFlat.random(config, 2, 1), PrefixFlat.random(config, 2, 2)];
    const stacked: PeftParameters = { tensors: {} };
    for (const name of prefixes[0]!.variables.keys()) stacked.tensors[name] = tf.stack(prefixes.map((prefix) => prefix.variables.get(name)!));
    const scores = scoreChoices(model, examples, { peft: stacked, batchSize: 3 });
    examples.forEach((example, i) =>
      example.choices.forEach((choice, c) => expect(scores[i]![c]).toBeCloseTo(scoreFromLoss(example.inputIds, choice, prefixes[i]!.parameters()), 4)),
    );
    tf.dispose(Object.values(stacked.tensors));
    prefixes.forEach((prefix) => prefix.dispose());
  });
});

describe("greedy generation", () => {
  it("each token is the argmax", () => {
    const inputs = [[5, 6, 7, 1], [8, 1]];
    const outputs = generateGreedy(model, inputs, { maxLength: 5 });
    outputs.forEach((output, row) => {
      expect(output.length).toBeLessThanOrEqual(5);
      expect(output).not.toContain(config.eos_token_id);
      const decoderInputs = [config.decoder_start_token_id, ...output];
      const logits = tf.tidy(() =>
        model.forward({
          inputIds: tf.tensor2d([inputs[row]!], undefined, "int32"),
          attentionMask: tf.ones([1, inputs[row]!.length], "int32") as tf.Tensor2D,
          decoderInputIds: tf.tensor2d([decoderInputs], undefined, "int32"),
        }).arraySync(),
      )[0]!;
      output.forEach((token, t) => {
        const position = logits[t]!;
        expect(position.indexOf(Math.max(...position))).toBe(token);
      });
      // Stopped early means the next argmax is EOS.
      if (output.length < 5) {
        const next = logits[output.length]!;
        expect(next.indexOf(Math.max(...next))).toBe(config.eos_token_id);
      }
    });
  });

  it("memory stays flat", () => {
    generateGreedy(model, [[5, 6, 1]], { maxLength: 3 });
    const before = tf.memory().numTensors;
    generateGreedy(model, [[5, 6, 1], [7, 1]], { maxLength: 4 });
    scoreChoices(model, examples);
    expect(tf.memory().numTensors).toBe(before);
  });
});
