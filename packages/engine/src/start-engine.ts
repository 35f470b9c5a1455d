import { Engine, type EngineOptions } from "./engine.js";
import { openStore } from "./store/open.js";

/**
 * Starts an engine in this process: opens the store (PGlite in `dataDir`, or PostgreSQL with
 * `databaseUrl`), migrates it, and starts a worker and the maintenance passes.
 *
 * @example
 * const engine = await startEngine({ dataDir: "./.mainspring" });
 * await myTask.trigger({ hello: "world" });
 * await engine.stop();
 */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const db = options.db ?? (await openStore(options));
  const engine = new Engine(db, options, !options.db);
  try {
    await engine.start();
  } catch (error) {
    if (!options.db) await db.close();
    throw error;
  }
  return engine;
}
