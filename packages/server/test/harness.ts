import { type Engine, startEngine } from "@mainspring/engine";
import pino from "pino";
import { STORES, type TestStore } from "../../engine/test/helpers.js";
import { createKey } from "../src/auth/keys.js";
import { type RunningServer, startServer } from "../src/server.js";

export { STORES, type TestStore };

export interface Harness {
  engine: Engine;
  server: RunningServer;
  /** A secret key (`tr_dev_sk_…`) for the server. */
  key: string;
  close(): Promise<void>;
}

/**
 * An engine on a fresh store, its HTTP API on a free port, and one secret key.
 * `registerRuntime: false` keeps the engine out of the SDK's runtime (to test a client in-process).
 */
export async function startHarness(
  store: TestStore,
  options: {
    worker?: boolean;
    registerRuntime?: boolean;
    requestsPerMinute?: number;
    dashboardPassword?: string;
    /** The dashboard's built files, served at `/`. */
    staticDir?: string;
  } = {},
): Promise<Harness> {
  const db = await store.open();
  const engine = await startEngine({
    db,
    worker: options.worker === false ? false : { concurrency: 20 },
    maintenance: { intervalMs: 100 },
    registerRuntime: options.registerRuntime,
  });
  const server = await startServer({
    engine,
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    dashboardPassword: options.dashboardPassword,
    staticDir: options.staticDir,
    limits:
      options.requestsPerMinute === undefined ? undefined : { requestsPerMinute: options.requestsPerMinute },
  });
  const { key } = await createKey(db, { name: "test" });
  return {
    engine,
    server,
    key,
    async close() {
      await server.close();
      await engine.stop(0);
      await db.close();
      await store.dispose();
    },
  };
}
