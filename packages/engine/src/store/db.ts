/**
 * The one store interface. Both drivers speak the same PostgreSQL dialect; they differ only
 * in how they connect, how they notify, and how many processes may share them.
 */
export interface Queryable {
  /**
   * `name` marks a hot statement: the PostgreSQL driver prepares it once per connection and
   * skips planning afterwards (the claim's plan costs about as much as its execution).
   */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    name?: string,
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, for humans: a folder or a redacted URL. */
  readonly location: string;
  /** Runs `fn` in a transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel. Returns an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
