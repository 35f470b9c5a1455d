import type { SetupStore, SetupStoreQueryable } from "@mainspring/sdk";
import { CrmError } from "../crm/errors.js";

/**
 * The CRM keeps its tables in the engine's database and uses the engine's open store: PGlite
 * can be opened once per process, and one pool per process is enough on PostgreSQL.
 */
export type CrmDb = SetupStore;
export type CrmQueryable = SetupStoreQueryable;

let bound: { db: CrmDb; ready: Promise<void> } | undefined;
let waiters: Array<() => void> = [];

/**
 * Binds the store the tasks use. `ready` settles once the CRM's migrations are applied; a run
 * the worker claimed before that waits for it instead of failing on a missing table.
 */
export function bindCrmStore(db: CrmDb, ready: Promise<void> = Promise.resolve()): void {
  bound = { db, ready };
  const wake = waiters;
  waiters = [];
  for (const w of wake) w();
}

export function unbindCrmStore(db?: CrmDb): void {
  if (!db || bound?.db === db) bound = undefined;
}

/** The bound store, once migrated. Waits up to `timeoutMs` for `mainspring.config.ts`'s setup. */
export async function crmStore(timeoutMs = 30_000): Promise<CrmDb> {
  if (!bound) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== done);
        reject(
          new CrmError(
            "CRM_NOT_READY",
            "The CRM store is not bound: start the app with its mainspring.config.ts (its setup binds the store), or call setupCrm(db) when embedding the engine",
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      waiters.push(done);
    });
  }
  const current = bound!;
  await current.ready;
  return current.db;
}
