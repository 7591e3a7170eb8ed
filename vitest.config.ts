import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Model and pipeline tests train small networks on a 2-core machine; the default 5 s is too short for them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
