import type { Db } from "../store/db.js";
import * as core from "./001_core.js";
import * as waits from "./002_waits.js";
import * as schedules from "./003_schedules.js";
import * as api from "./004_api.js";
import * as streams from "./005_streams.js";
import * as dashboard from "./006_dashboard.js";

/** Numbered, forward-only. Append; never edit a migration that has shipped. */
const MIGRATIONS: Array<{ version: number; name: string; up: string }> = [
  { version: 1, name: "core", up: core.up },
  { version: 2, name: "waits", up: waits.up },
  { version: 3, name: "schedules", up: schedules.up },
  { version: 4, name: "api", up: api.up },
  // Versions need not be contiguous: the runner applies every listed version a store lacks.
  { version: 5, name: "streams", up: streams.up },
  { version: 6, name: "dashboard", up: dashboard.up },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Applies pending migrations in one transaction under an advisory lock, so any number of
 * processes may start at once: the first applies, the others wait and find nothing to do.
 */
export async function migrate(db: Db): Promise<{ applied: number[] }> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(7263541)");
    await tx.exec(`create table if not exists ms_schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await tx.query<{ version: number }>("select version from ms_schema_migrations");
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.up);
      await tx.query("insert into ms_schema_migrations (version, name) values ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied };
  });
}
