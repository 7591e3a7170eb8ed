import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { activeBackend, detectBackend, initBackend } from "../../src/models/index.js";
import { maxAbsDifference } from "./helpers.js";

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

/** Runs `compute` on the active backend and on the pure-JS cpu backend; returns both results as flat arrays. */
async function againstCpu(compute: () => tf.Tensor): Promise<{ active: number[]; reference: number[]; activeShape: number[]; referenceShape: number[] }> {
  const name = tf.getBackend();
  const activeTensor = compute();
  const result = { active: Array.from(await activeTensor.data()), activeShape: activeTensor.shape };
  activeTensor.dispose();
  await tf.setBackend("cpu");
  const referenceTensor = compute();
  const reference = { reference: Array.from(await referenceTensor.data()), referenceShape: referenceTensor.shape };
  referenceTensor.dispose();
  await tf.setBackend(name);
  return { ...result, ...reference };
}

/** Seeded values, the same on every backend. */
function values(shape: number[], seed: number): tf.Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898 + seed) * 2), shape);
}

describe("backend selection", () => {
  it("detection picks an available backend", () => {
    const detected = detectBackend();
    expect(["tensorflow", "wasm", "cpu"]).toContain(detected.name);
    expect(detected.packages["@tensorflow/tfjs"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(detectBackend("cpu").name).toBe("cpu");
    expect(() => detectBackend("gpu")).toThrow(/Unknown backend "gpu"/);
    expect(activeBackend()?.name).toBe(detected.name);
  });

  it("switching after initialization is rejected", async () => {
    const other = activeBackend()?.name === "cpu" ? "wasm" : "cpu";
    await expect(initBackend(other, () => {})).rejects.toThrow(/already initialized/);
  });
});

describe("kernels match the cpu backend", () => {
  const products: [number[], number[], boolean, boolean][] = [
    [[2, 3, 5, 4], [2, 3, 4, 6], false, false],
    [[6, 5, 4], [6, 7, 4], false, true],
    [[6, 4, 5], [6, 4, 7], true, false],
    [[6, 4, 5], [1, 7, 4], true, true],
    [[130, 16], [24, 16], false, true],
    [[128, 20], [128, 12], true, false],
  ];
  for (const [aShape, bShape, transposeA, transposeB] of products) {
    it(`matMul [${aShape}]x[${bShape}] ${transposeA ? "tA" : ""}${transposeB ? "tB" : ""}`, async () => {
      const { active, reference, activeShape, referenceShape } = await againstCpu(() =>
        tf.tidy(() => tf.matMul(values(aShape, 1), values(bShape, 2), transposeA, transposeB)),
      );
      expect(activeShape).toEqual(referenceShape);
      expect(maxAbsDifference(active, reference)).toBeLessThanOrEqual(1e-4);
    });
  }

  it("transposes", async () => {
    for (const [shape, perm] of [[[512, 24], [1, 0]], [[1, 256, 12], [0, 2, 1]], [[8, 4, 16, 2], [0, 2, 1, 3]]] as [number[], number[]][]) {
      const { active, reference, activeShape, referenceShape } = await againstCpu(() => tf.tidy(() => tf.transpose(values(shape, 3), perm)));
      expect(activeShape).toEqual(referenceShape);
      expect(maxAbsDifference(active, reference)).toBe(0);
    }
  });

  it("sums over leading and other axes", async () => {
    const cases: [number[], number[], boolean][] = [[[300, 7], [0], false], [[20, 10, 3], [0, 1], true], [[20, 10, 3], [1], false], [[20, 10, 3], [-1], false]];
    for (const [shape, axes, keepDims] of cases) {
      const { active, reference, activeShape, referenceShape } = await againstCpu(() => tf.tidy(() => tf.sum(values(shape, 4), axes, keepDims)));
      expect(activeShape).toEqual(referenceShape);
      expect(maxAbsDifference(active, reference)).toBeLessThanOrEqual(1e-4);
    }
  });

  it("gather and its gradient", async () => {
    const indices = [3, 0, 3, 9, 1];
    const { active, reference } = await againstCpu(() =>
      tf.tidy(() => {
        const table = values([10, 4], 5);
        const ids = tf.tensor2d([indices.slice(0, 3), [indices[3]!, indices[4]!, 0]], undefined, "int32");
        const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), values([2, 3, 4], 6))))(table);
        return tf.concat([tf.reshape(tf.gather(table, ids), [-1]), tf.reshape(gradient, [-1])]);
      }),
    );
    expect(maxAbsDifference(active, reference)).toBeLessThanOrEqual(1e-5);
  });

  it("gather rejects an index out of range", () => {
    if (tf.getBackend() !== "wasm") return;
    expect(() => tf.tidy(() => tf.gather(values([4, 2], 7), tf.tensor1d([1, 4], "int32")))).toThrow(/index 4 at position 1 is outside \[0, 4\)/);
  });

  it("cast to the same dtype keeps values after the input is freed", () => {
    const input = values([3, 2], 8);
    const copy = tf.cast(input, "float32");
    const expected = Array.from(input.dataSync());
    input.dispose();
    expect(Array.from(copy.dataSync())).toEqual(expected);
    copy.dispose();
  });
});
