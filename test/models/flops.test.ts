import { describe, expect, it } from "vitest";
import { estimateFlops, parseT5Config } from "../../src/models/index.js";

const config = parseT5Config({ vocab_size: 4096, d_model: 128, d_kv: 32, num_heads: 4, d_ff: 256, num_layers: 2, num_decoder_layers: 2 }, "test config");
const shape = { batch: 32, inputLength: 64, targetLength: 16 };

describe("estimateFlops", () => {
  it("T5 training step", () => {
    // Counted by hand: 85.2 MFLOP of matMuls per example forward, times 32 examples, times 3 for training.
    expect(estimateFlops(config, { ...shape, model: "t5", mode: "train-all" })).toBe(8_178_892_800);
    expect(estimateFlops(config, { ...shape, model: "t5", mode: "forward" })).toBe(8_178_892_800 / 3);
  });

  it("hypermodels add their own work", () => {
    const plain = estimateFlops(config, { ...shape, model: "t5", mode: "forward" });
    for (const model of ["hyper_prefix", "hyper_lora"] as const) {
      const frozen = estimateFlops(config, { ...shape, model, fewShotLength: 64, prefixLength: 8, loraRank: 8, mode: "train-hyper" });
      const everything = estimateFlops(config, { ...shape, model, fewShotLength: 64, prefixLength: 8, loraRank: 8, mode: "train-all" });
      expect(frozen).toBeGreaterThan(2 * plain);
      expect(everything).toBeGreaterThan(frozen);
    }
  });
});
