import { migrateCrm } from "../db/migrations/index.js";
import { bindCrmStore, type CrmDb } from "../db/store.js";
import { vectorSql } from "../db/vector-mode.js";
import { bulkIndexDocumentsTask } from "../trigger/document-indexing.js";
import { bulkScoreLeadsTask } from "../trigger/lead-scoring.js";
import { buildWorkspaceQueueOptions } from "../trigger/queues.js";
import { seedDemoIfEmpty } from "./demo/seed.js";

export interface CrmSetupOptions {
  /** Seed the demo workspaces when the CRM is empty, and queue their scoring and indexing. */
  seedDemo?: boolean;
  log?: (line: string) => void;
}

/**
 * Migrates the CRM's tables in the engine's store and binds that store for the tasks. Called
 * from mainspring.config.ts's `setup` (CLI) or by hand when embedding the engine. Runs the
 * worker claimed before this finished wait for the migrations (see db/store.ts).
 */
export async function setupCrm(db: CrmDb, options: CrmSetupOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const migrated = (async () => {
    await migrateCrm(db);
  })();
  bindCrmStore(db, migrated);
  await migrated;
  const vectors = await vectorSql(db);
  if (vectors.mode === "real[]") {
    log(
      "[crm] pgvector is not installed on this PostgreSQL server: embeddings are stored as real[] and " +
        "vector search ranks them by an exact dot product in SQL (correct, slower on large workspaces). " +
        "Install pgvector before the first start to use it.",
    );
  }
  if (!options.seedDemo) return;
  const seeded = await seedDemoIfEmpty(db);
  if (!seeded) return;
  for (const ws of seeded.workspaces) {
    await bulkScoreLeadsTask.trigger(
      { workspaceId: ws.id },
      buildWorkspaceQueueOptions(ws.id, ws.tier, "lead-score", ["source:demo-seed"]),
    );
    await bulkIndexDocumentsTask.trigger(
      { workspaceId: ws.id },
      buildWorkspaceQueueOptions(ws.id, ws.tier, "document-index", ["source:demo-seed"]),
    );
  }
  log(
    `[crm] empty CRM: seeded ${seeded.workspaces.length} demo workspaces (${seeded.workspaces
      .map((w) => `${w.tier} "${w.slug}" ${w.id}`)
      .join(", ")}) with ${seeded.prospects} generated prospects and ${seeded.documents} documents; ` +
      'their lead scoring and document indexing are queued. Try: npm run crm -- search --workspace demo-enterprise "how do I get a refund"',
  );
}

/** When to seed: an empty embedded store by default; on PostgreSQL only with MAINSPRING_DEMO=1. */
export function shouldSeedDemo(kind: "pglite" | "postgres", env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.MAINSPRING_DEMO === "0") return false;
  if (env.MAINSPRING_DEMO === "1") return true;
  return kind === "pglite";
}
