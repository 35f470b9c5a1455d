import type { CrmDb } from "../store.js";
import * as crm from "./001_crm.js";
import * as vectors from "./002_vectors.js";
import * as email from "./003_email.js";
import * as agents from "./004_agents.js";
import * as sendReplies from "./005_send_replies.js";

/**
 * The CRM's migrations: numbered and forward-only like the engine's, with their own ledger
 * (crm_schema_migrations) so the two sets never collide. A step is SQL or a function (the
 * vector column depends on what the server offers).
 */
const MIGRATIONS: Array<{
  version: number;
  name: string;
  up: string | ((tx: Parameters<Parameters<CrmDb["transaction"]>[0]>[0]) => Promise<unknown>);
}> = [
  { version: 1, name: "crm", up: crm.up },
  { version: 2, name: "vectors", up: vectors.up },
  { version: 3, name: "email", up: email.up },
  { version: 4, name: "agents", up: agents.up },
  { version: 5, name: "send-replies", up: sendReplies.up },
];

/** Distinct from the engine's advisory lock key (7263541): the two may migrate at once. */
const LOCK_KEY = 7263542;

/**
 * Applies pending CRM migrations in one transaction under an advisory lock, so processes
 * starting together apply them once and a failure leaves nothing half-created.
 */
export async function migrateCrm(db: CrmDb): Promise<{ applied: number[] }> {
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.exec(`create table if not exists crm_schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await tx.query<{ version: number }>("select version from crm_schema_migrations");
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      if (typeof migration.up === "string") await tx.exec(migration.up);
      else await migration.up(tx);
      await tx.query("insert into crm_schema_migrations (version, name) values ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied };
  });
}
