import pg from "pg";
import type { Db, Queryable } from "./db.js";

export interface PostgresOptions {
  connectionString: string;
  /** Pool size per process. */
  maxConnections?: number;
  /** Schema for all Mainspring tables (tests use one per suite). Default "public". */
  schema?: string;
  /** Shown in pg_stat_activity. Default "mainspring". */
  applicationName?: string;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(postgres)";
  }
}

/**
 * PostgreSQL through a node-postgres pool. LISTEN needs a dedicated connection that outlives
 * pool checkouts; it reconnects on its own (with backoff) when the server restarts or the
 * connection is killed, and re-subscribes every channel.
 */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const schema = options.schema;
  const applicationName = options.applicationName ?? "mainspring";
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: applicationName,
    max: options.maxConnections ?? 10,
    // A schema per suite keeps parallel test files apart without separate databases.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits here; the pool replaces it.
  pool.on("error", () => {});

  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  const connectListener = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: applicationName,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    client.on("notification", (msg) => {
      for (const fn of listeners.get(msg.channel) ?? []) fn(msg.payload ?? "");
    });
    client.on("error", () => {
      if (listenClient === client) listenClient = undefined;
      client.end().catch(() => {});
      if (!closed) scheduleReconnect(250);
    });
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`LISTEN "${channel}"`);
    listenClient = client;
    return client;
  };

  const scheduleReconnect = (delayMs: number) => {
    setTimeout(() => {
      if (closed || listenClient || connecting) return;
      connecting = connectListener().finally(() => {
        connecting = undefined;
      });
      connecting.catch(() => scheduleReconnect(Math.min(delayMs * 2, 5000)));
    }, delayMs).unref();
  };

  const ensureListener = async (): Promise<pg.Client> => {
    if (listenClient) return listenClient;
    if (!connecting) {
      connecting = connectListener().finally(() => {
        connecting = undefined;
      });
    }
    return connecting;
  };

  const query: Queryable["query"] = async (sql, params, name) => {
    const result = await pool.query(
      name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] },
    );
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };

  return {
    kind: "postgres",
    location: redact(options.connectionString) + (schema ? ` (schema ${schema})` : ""),
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn, options) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          async exec(sql) {
            await client.query(sql);
          },
          async query(sql, params, name) {
            const r = await client.query(
              name
                ? { name, text: sql, values: params as unknown[] }
                : { text: sql, values: params as unknown[] },
            );
            return { rows: r.rows, rowCount: r.rowCount ?? 0 };
          },
        });
        // node-postgres writes a query to the socket synchronously when the connection is idle
        // (it is: `fn` awaited its last statement), so the hook runs after the write.
        const commit = client.query("COMMIT");
        try {
          options?.afterCommitSent?.(result);
        } finally {
          await commit; // settles the COMMIT before a throwing hook's error goes on
        }
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      let set = listeners.get(channel);
      const isNew = !set;
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(onNotify);
      const client = await ensureListener();
      if (isNew && listenClient === client) await client.query(`LISTEN "${channel}"`);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      closed = true;
      await listenClient?.end().catch(() => {});
      await pool.end();
    },
  };
}
