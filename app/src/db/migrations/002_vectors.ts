import type { CrmQueryable } from "../store.js";

export type VectorMode = "pgvector" | "real[]";

/**
 * Adds crm_chunks.embedding. With pgvector (PGlite always has it; a PostgreSQL server only if
 * the extension is installed) it is `vector` without a fixed dimension, so a change of
 * embedding model needs no migration: searches compare only chunks of the query's model.
 * Without pgvector it is `real[]` and search ranks by a dot product computed in SQL.
 * Returns the mode chosen; it is recorded in crm_settings so every process agrees.
 */
export async function up(tx: CrmQueryable): Promise<VectorMode> {
  const { rows } = await tx.query<{ available: boolean }>(
    "select exists (select 1 from pg_available_extensions where name = 'vector') as available",
  );
  let mode: VectorMode = "real[]";
  let schema = "";
  if (rows[0]?.available) {
    // An extension lives once per database, in one schema. With one schema per tenant of the
    // database (MAINSPRING_DB_SCHEMA, tests) it may already exist in another schema, outside
    // this search_path: so its schema is recorded and every use of it is qualified.
    await tx.exec("create extension if not exists vector");
    const found = await tx.query<{ schema: string }>(
      "select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'",
    );
    schema = found.rows[0]!.schema;
    mode = "pgvector";
  }
  const column = mode === "pgvector" ? `${quoteIdent(schema)}.vector` : "real[]";
  await tx.exec(`
    create table crm_settings (key text primary key, value jsonb not null);
    alter table crm_chunks add column embedding ${column} not null;
  `);
  await tx.query(
    "insert into crm_settings (key, value) values ('vector_mode', $1::jsonb), ('vector_schema', $2::jsonb)",
    [JSON.stringify(mode), JSON.stringify(schema)],
  );
  return mode;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
