import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "tests/**/*.test.ts", "app/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites share one PostgreSQL database per file (each file creates its own schema),
    // and spawn worker processes: two at a time suits this 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
