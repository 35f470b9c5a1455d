import { randomBytes } from "node:crypto";
import { type Run, runs } from "@mainspring/sdk";
import pg from "pg";
import type { Db } from "../src/store/db.js";
import { openPglite } from "../src/store/pglite.js";
import { openPostgres } from "../src/store/postgres.js";

export const TEST_DATABASE_URL =
  process.env.MAINSPRING_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestStore {
  name: "pglite" | "postgres";
  open(): Promise<Db>;
  /** Drops what open() created. */
  dispose(): Promise<void>;
  /** For Postgres stores: the schema, so child processes can join it. */
  schema?: string;
}

/** A fresh schema in the test database: parallel test files never see each other's rows. */
export async function createSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return schema;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

export function pgliteStore(): TestStore {
  return { name: "pglite", open: () => openPglite(), dispose: async () => {} };
}

export function postgresStore(): TestStore {
  const store: TestStore = {
    name: "postgres",
    async open() {
      store.schema = await createSchema();
      return openPostgres({ connectionString: TEST_DATABASE_URL, schema: store.schema, maxConnections: 20 });
    },
    async dispose() {
      if (store.schema) await dropSchema(store.schema);
    },
  };
  return store;
}

/** The conformance suites run once per driver. */
export const STORES: Array<() => TestStore> = [pgliteStore, postgresStore];

/** Polls a condition until it holds (no fixed sleeps in assertions). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 20, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A promise with its resolver, for tasks that block until a test releases them. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Waits until a run reaches a final status and returns it. */
export const finished = (id: string, timeoutMs = 20_000): Promise<Run> =>
  waitFor(
    async () => {
      const run = await runs.retrieve(id);
      return run.isCompleted ? run : undefined;
    },
    { timeoutMs, what: `run ${id} to finish` },
  );

/** Waits until a run has the given status. */
export const statusIs = (id: string, status: string): Promise<true> =>
  waitFor(async () => (await runs.retrieve(id)).status === status || undefined, {
    what: `run ${id} to be ${status}`,
  });
