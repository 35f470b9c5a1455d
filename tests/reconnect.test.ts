/**
 * PostgreSQL connections killed under load: acknowledged triggers are not lost, and the
 * worker (pool and LISTEN connection) reconnects on its own.
 */
import { runs, task } from "@mainspring/sdk";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../packages/engine/src/index.js";
import type { Db } from "../packages/engine/src/store/db.js";
import { openPostgres } from "../packages/engine/src/store/postgres.js";
import {
  createSchema,
  dropSchema,
  sleep,
  TEST_DATABASE_URL,
  waitFor,
} from "../packages/engine/test/helpers.js";

const work = task({
  id: "reconnect-work",
  run: async (payload: { i: number }) => {
    await sleep(5);
    return payload.i;
  },
});

describe("connections killed", () => {
  let schema: string;
  let db: Db;
  let engine: Engine;
  const appName = `ms-reconnect-${process.pid}`;

  const killConnections = async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query(
      "select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1",
      [appName],
    );
    await admin.end();
    return rows.length;
  };

  beforeAll(async () => {
    schema = await createSchema();
    db = await openPostgres({ connectionString: TEST_DATABASE_URL, schema, applicationName: appName });
    engine = await startEngine({
      db,
      worker: { concurrency: 10, pollIntervalMs: 200 },
      maintenance: { intervalMs: 200 },
      onError: () => {},
    });
  });

  afterAll(async () => {
    await engine?.stop(1000);
    await db?.close();
    await dropSchema(schema);
  });

  it("keeps every acknowledged trigger and completes it after the connections come back", async () => {
    const acknowledged: string[] = [];
    let failedTriggers = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 25; i++) {
        try {
          acknowledged.push((await work.trigger({ i: round * 25 + i })).id);
        } catch {
          failedTriggers++; // not acknowledged: the caller knows and may retry
        }
      }
      expect(await killConnections()).toBeGreaterThan(0);
    }
    expect(acknowledged.length).toBeGreaterThan(50);
    await waitFor(
      async () => {
        const done = await Promise.all(
          acknowledged.map((id) => runs.retrieve(id).then((r) => r.status === "COMPLETED")),
        ).catch(() => [false]);
        return done.every(Boolean);
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "every acknowledged run to complete" },
    );
    // New work after the storm is picked up promptly through the re-established LISTEN.
    const started = Date.now();
    const late = await work.trigger({ i: -1 });
    await waitFor(async () => (await runs.retrieve(late.id)).status === "COMPLETED");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failedTriggers).toBeLessThan(100);
  }, 60_000);
});
