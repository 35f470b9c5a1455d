import type { Db } from "./db.js";
import { openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite store is used. */
  databaseUrl?: string;
  /**
   * Embedded store folder; ignored with `databaseUrl`. Omitted: an in-memory store (tests).
   * The CLI passes `./.mainspring` (or MAINSPRING_DATA_DIR).
   */
  dataDir?: string;
  /** Embedded store only: fsync on commit. */
  durable?: boolean;
  schema?: string;
  maxConnections?: number;
}

export function openStore(options: StoreOptions): Promise<Db> {
  if (options.databaseUrl) {
    return openPostgres({
      connectionString: options.databaseUrl,
      schema: options.schema,
      maxConnections: options.maxConnections,
    });
  }
  return openPglite({ dataDir: options.dataDir, durable: options.durable });
}
