import { defineConfig } from "@mainspring/sdk";

export default defineConfig({
  dirs: ["./src/trigger"],
  retries: {
    default: { maxAttempts: 3, factor: 2, minTimeoutInMs: 1000, maxTimeoutInMs: 60_000, randomize: true },
  },
  maxDuration: 3600,
});
