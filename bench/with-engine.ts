/**
 * An engine for a benchmark run on one store, torn down afterwards: PGlite in memory, or
 * PostgreSQL (DATABASE_URL, default the local `test` database) in a scratch schema.
 */
import pg from "pg";
import { type Engine, type EngineOptions, startEngine } from "../packages/engine/src/index.js";

export const BENCH_DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function withBenchEngine<T>(
  store: string,
  name: string,
  options: EngineOptions,
  fn: (engine: Engine) => Promise<T>,
): Promise<T> {
  if (store === "pglite") {
    const engine = await startEngine(options);
    try {
      return await fn(engine);
    } finally {
      await engine.stop();
    }
  }
  const schema = `bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const engine = await startEngine({ ...options, databaseUrl: BENCH_DATABASE_URL, schema });
  try {
    return await fn(engine);
  } finally {
    await engine.stop();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
}
