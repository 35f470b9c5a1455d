import { quoteIdent, type VectorMode } from "./migrations/002_vectors.js";
import type { CrmQueryable } from "./store.js";

export interface VectorSql {
  mode: VectorMode;
  /** SQL turning a text parameter "[0.1,...]" into the embedding column's type. */
  cast(param: string): string;
  /** SQL of the cosine distance between crm_chunks c's embedding and a cast parameter (lower = closer). */
  distance(param: string): string;
}

const cache = new WeakMap<object, Promise<VectorSql>>();

/**
 * How embeddings are stored and compared, as the migration chose for this database (recorded
 * in crm_settings). With pgvector: `<=>`, the exact cosine distance, on a workspace's chunks.
 * Without: real[] and 1 − dot product in SQL (vectors are unit length, so that is the cosine
 * distance too). Both are exact scans of one workspace's chunks of one model (see docs/crm.md).
 */
export function vectorSql(db: CrmQueryable): Promise<VectorSql> {
  let found = cache.get(db);
  if (!found) {
    found = (async () => {
      const { rows } = await db.query<{ key: string; value: string }>(
        "select key, value #>> '{}' as value from crm_settings where key in ('vector_mode', 'vector_schema')",
      );
      const settings = Object.fromEntries(rows.map((r) => [r.key, r.value]));
      if (settings.vector_mode === "pgvector") {
        const ns = quoteIdent(settings.vector_schema ?? "public");
        return {
          mode: "pgvector" as const,
          cast: (p: string) => `(${p})::${ns}.vector`,
          distance: (p: string) => `(c.embedding operator(${ns}.<=>) (${p})::${ns}.vector)`,
        };
      }
      const toArray = (p: string) => `('{' || btrim(${p}, '[]') || '}')::real[]`;
      return {
        mode: "real[]" as const,
        cast: toArray,
        distance: (p: string) =>
          `(1 - (select sum(a * b) from unnest(c.embedding, ${toArray(p)}) as t(a, b)))`,
      };
    })();
    found.catch(() => cache.delete(db));
    cache.set(db, found);
  }
  return found;
}
