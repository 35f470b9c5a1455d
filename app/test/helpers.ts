import { type Engine, startEngine } from "@mainspring/engine";
import type { TestStore } from "../../packages/engine/test/helpers.js";
import { newId } from "../src/crm/ids.js";
import { setupCrm } from "../src/crm/setup.js";
import type { Tier } from "../src/crm/tiers.js";
import { createWorkspace, type Workspace } from "../src/crm/workspaces.js";
import { type CrmDb, unbindCrmStore } from "../src/db/store.js";

export {
  finished,
  STORES,
  type TestStore,
  waitFor,
} from "../../packages/engine/test/helpers.js";

/** A real store (PGlite in memory, or a fresh schema on PostgreSQL), an engine and the CRM on it. */
export async function openCrm(
  store: TestStore,
  worker: { concurrency: number } | false = { concurrency: 10 },
): Promise<{ db: CrmDb; engine: Engine; close(): Promise<void> }> {
  const db = await store.open();
  const engine = await startEngine({
    db,
    worker: worker === false ? false : { ...worker, pollIntervalMs: 100 },
    maintenance: { intervalMs: 100, rescueIntervalMs: 500 },
    onError: (error, where) => console.error(where, error),
  });
  await setupCrm(engine.db, { log: () => {} });
  return {
    db: engine.db,
    engine,
    async close() {
      await engine.stop(2000);
      unbindCrmStore(engine.db);
      await db.close();
      await store.dispose();
    },
  };
}

export function workspace(db: CrmDb, tier: Tier): Promise<Workspace> {
  const id = newId("ws");
  return createWorkspace(db, { id, name: `Test ${tier}`, slug: id.toLowerCase(), tier });
}
