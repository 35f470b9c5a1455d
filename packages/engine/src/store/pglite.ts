import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { MainspringError } from "@mainspring/sdk";
import type { Db, Queryable } from "./db.js";

const LOCK_FILE = "mainspring.lock";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Exactly one process may open a PGlite data folder: two would each replay and write the
 * same WAL and corrupt it. The lock file holds the owner's pid; a lock left by a dead process
 * is taken over. `O_EXCL` makes the create atomic, so two starters cannot both win.
 */
function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, "wx");
      writeFileSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let owner: { pid?: number } = {};
      try {
        owner = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        // A half-written lock: treat it as stale.
      }
      // The owner may be this very process: a second open here would corrupt the folder too.
      if (owner.pid && processAlive(owner.pid)) {
        throw new MainspringError(
          "STORE_LOCKED",
          `The embedded data folder ${dir} is in use by process ${owner.pid}. ` +
            "Only one process can open an embedded store. Stop that process, use another MAINSPRING_DATA_DIR, " +
            "or set DATABASE_URL to share a PostgreSQL server between processes.",
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new MainspringError("STORE_LOCKED", `Could not take the lock on ${dir}`);
}

export interface PgliteOptions {
  /** Data folder; omit for an in-memory store (tests). */
  dataDir?: string;
  /**
   * PGlite skips fsync by default, so a machine crash (not a process crash) can lose the last
   * commits. `durable: true` syncs to disk on commit, at some cost in throughput.
   */
  durable?: boolean;
}

export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  let release = () => {};
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true });
    release = acquireLock(dataDir);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir ? join(dataDir, "pgdata") : undefined, {
      // pgvector is offered, not installed: an app (the CRM) runs `create extension vector`.
      extensions: { vector },
      // PGlite starts Postgres with -F (fsync off); the durable setting drops that flag.
      ...(options.durable ? { startParams: PGlite.defaultStartParams.filter((p) => p !== "-F") } : {}),
    });
  } catch (error) {
    release();
    throw error;
  }

  const asQueryable = (target: Pick<PGlite, "query" | "exec">): Queryable => ({
    async exec(sql: string) {
      await target.exec(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      const result = await target.query<T>(sql, params as any[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  });

  return {
    kind: "pglite",
    location: dataDir ?? "(in memory)",
    ...asQueryable(pg),
    async transaction(fn, options) {
      const result = await pg.transaction((tx) => fn(asQueryable(tx)));
      options?.afterCommitSent?.(result);
      return result;
    },
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return async () => unlisten();
    },
    async close() {
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}
