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
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel. Returns an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface TransactionOptions<T> {
  /**
   * Called with `fn`'s result once the COMMIT can no longer be lost to this process dying:
   * on PostgreSQL in the same tick the COMMIT is written to the connection's socket (before
   * its acknowledgment: a process killed after this point has already handed the COMMIT to
   * the kernel, and the server commits it); on PGlite, in process, once it has committed.
   * For an effect outside the database that must follow the commit with no window a kill
   * can split, such as the final dot of an SMTP message (see app/src/crm/email/ledger.ts).
   * If the COMMIT then fails, `transaction` rejects as usual.
   */
  afterCommitSent?: (result: T) => void;
}
