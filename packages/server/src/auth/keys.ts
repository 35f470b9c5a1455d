import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Queryable } from "@mainspring/engine";
import { ulid } from "ulid";

export type KeyEnvironment = "dev" | "prod";

export interface ApiKeyRecord {
  id: string;
  name: string;
  environment: KeyEnvironment;
  prefix: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_PATTERN = /^tr_(dev|prod)_sk_[0-9a-zA-Z]{24}$/;

/**
 * A new secret key: `tr_{env}_sk_` and 24 base62 characters (~143 bits). The shape is the one
 * the official Trigger.dev client calls an "additional API key": it then asks the server to
 * mint public access tokens instead of signing them with the key, which is what lets us keep
 * only a hash of the key.
 */
export function generateKey(environment: KeyEnvironment): string {
  const bytes = randomBytes(24);
  let body = "";
  // 256 is not a multiple of 62; rejection keeps every character equally likely
  for (let i = 0; body.length < 24; i++) {
    const byte = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (byte < 248) body += ALPHABET[byte % 62];
  }
  return `tr_${environment}_sk_${body}`;
}

export function isKeyShaped(token: string): boolean {
  return KEY_PATTERN.test(token);
}

/** A fast hash is right here: the key is random and long, so there is nothing to brute-force. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

interface KeyRow {
  id: string;
  name: string;
  environment: KeyEnvironment;
  prefix: string;
  hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  environment: row.environment,
  prefix: row.prefix,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at ?? undefined,
  revokedAt: row.revoked_at ?? undefined,
});

export async function createKey(
  db: Queryable,
  options: { name: string; environment?: KeyEnvironment },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const environment = options.environment ?? "dev";
  const key = generateKey(environment);
  const { rows } = await db.query<KeyRow>(
    `insert into ms_api_keys (id, name, environment, prefix, hash) values ($1, $2, $3, $4, $5) returning *`,
    [`key_${ulid().toLowerCase()}`, options.name, environment, key.slice(0, 14), hashKey(key)],
  );
  return { key, record: toRecord(rows[0]!) };
}

export async function listKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<KeyRow>("select * from ms_api_keys order by created_at, id");
  return rows.map(toRecord);
}

/** Returns false when no live key has that id. */
export async function revokeKey(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "update ms_api_keys set revoked_at = now() where id = $1 and revoked_at is null",
    [id],
  );
  return rowCount > 0;
}

/**
 * Creates the first key when the store has none (embedded first start) and returns it so the
 * caller can print it once. Two processes racing here both see an empty table only under the
 * advisory lock, so at most one key is created.
 */
export async function ensureFirstKey(db: {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(7263542)");
    const { rows } = await tx.query<{ n: number }>("select count(*)::int as n from ms_api_keys");
    if (rows[0]!.n > 0) return undefined;
    const { key } = await createKey(tx, { name: "development", environment: "dev" });
    return key;
  });
}

const CACHE_MS = 10_000;
const TOUCH_MS = 60_000;

/**
 * Resolves a presented key to its record. Verified keys are cached for 10 s so a busy client
 * costs no query per request; a revoked key therefore stops working within 10 s everywhere.
 */
export class KeyVerifier {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; at: number }>();
  private readonly touched = new Map<string, number>();
  private readonly liveById = new Map<string, { live: boolean; at: number }>();

  constructor(private readonly db: Queryable) {}

  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!isKeyShaped(key)) return undefined;
    const hash = hashKey(key);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.record;
    const { rows } = await this.db.query<KeyRow>(
      "select * from ms_api_keys where hash = $1 and revoked_at is null",
      [hash],
    );
    const row = rows[0];
    // the index lookup already matched; compare again in constant time for good measure
    const record =
      row && timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash)) ? toRecord(row) : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { record, at: Date.now() });
    if (record) this.touch(record.id);
    return record;
  }

  /** Whether a key id names a key that is not revoked (cached like verify). */
  async isLive(id: string): Promise<boolean> {
    const hit = this.liveById.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.live;
    const { rows } = await this.db.query("select 1 from ms_api_keys where id = $1 and revoked_at is null", [
      id,
    ]);
    if (this.liveById.size > 10_000) this.liveById.clear();
    this.liveById.set(id, { live: rows.length > 0, at: Date.now() });
    return rows.length > 0;
  }

  private touch(id: string): void {
    const last = this.touched.get(id) ?? 0;
    if (Date.now() - last < TOUCH_MS) return;
    this.touched.set(id, Date.now());
    this.db.query("update ms_api_keys set last_used_at = now() where id = $1", [id]).catch(() => {
      // a missed last-used stamp is not worth failing a request over
    });
  }
}
