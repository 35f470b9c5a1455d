import { resolve } from "node:path";
import type { EngineOptions } from "@mainspring/engine";

/** Store and worker settings from the environment (see the README's configuration table). */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.MAINSPRING_DATA_DIR || ".mainspring"),
    schema: env.MAINSPRING_DB_SCHEMA || undefined,
    durable: env.MAINSPRING_DURABLE === "1" || env.MAINSPRING_DURABLE === "true",
    // wait token callback URLs point at the API (signed with the store's secret, or this one)
    apiUrl: env.MAINSPRING_API_URL || `http://localhost:${env.PORT && env.PORT !== "0" ? env.PORT : 3030}`,
    urlSecret: env.MAINSPRING_JWT_SECRET || undefined,
    maxConnections: int("MAINSPRING_DB_POOL"),
    worker: {
      concurrency: int("MAINSPRING_CONCURRENCY"),
      leaseMs: int("MAINSPRING_LEASE_MS"),
    },
  };
}
