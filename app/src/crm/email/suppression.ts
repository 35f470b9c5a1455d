import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { CrmQueryable } from "../../db/store.js";
import { CrmInputError } from "../errors.js";

export type SuppressionReason = "unsubscribe" | "bounce" | "complaint" | "manual";

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Adds an address to a workspace's suppression list (idempotent: the first reason stands) and
 * marks matching contacts unsubscribed. Every send checks the list in the statement that
 * claims the message, so an address suppressed now is never mailed again, campaign or sequence.
 */
export async function suppress(
  db: CrmQueryable,
  s: { workspaceId: string; email: string; reason: SuppressionReason; source?: string },
): Promise<void> {
  const email = normalizeEmail(s.email);
  await db.query(
    `with s as (
       insert into crm_suppressions (workspace_id, email, reason, source) values ($1, $2, $3, $4)
       on conflict (workspace_id, email) do nothing)
     update crm_contacts set unsubscribed_at = coalesce(unsubscribed_at, now())
     where workspace_id = $1 and lower(email) = $2 and $3 in ('unsubscribe', 'complaint')`,
    [s.workspaceId, email, s.reason, s.source ?? null],
  );
}

export async function isSuppressed(
  db: CrmQueryable,
  workspaceId: string,
  email: string,
): Promise<string | null> {
  const { rows } = await db.query<{ reason: string }>(
    "select reason from crm_suppressions where workspace_id = $1 and email = $2",
    [workspaceId, normalizeEmail(email)],
  );
  return rows[0]?.reason ?? null;
}

let cachedSecret: { db: CrmQueryable; secret: Buffer } | undefined;

/** MAINSPRING_UNSUBSCRIBE_SECRET, else a random secret stored once in crm_settings. */
async function secret(db: CrmQueryable): Promise<Buffer> {
  const fromEnv = process.env.MAINSPRING_UNSUBSCRIBE_SECRET;
  if (fromEnv) return Buffer.from(fromEnv);
  if (cachedSecret?.db === db) return cachedSecret.secret;
  await db.query(
    "insert into crm_settings (key, value) values ('unsubscribe_secret', to_jsonb($1::text)) on conflict (key) do nothing",
    [randomBytes(32).toString("base64url")],
  );
  const { rows } = await db.query<{ value: string }>(
    "select value #>> '{}' as value from crm_settings where key = 'unsubscribe_secret'",
  );
  cachedSecret = { db, secret: Buffer.from(rows[0]!.value) };
  return cachedSecret.secret;
}

/**
 * The proof in an unsubscribe link: the workspace and address, and an HMAC of both. It does
 * not expire (RFC 8058 links must keep working) and names no campaign, so it suppresses the
 * address for the whole workspace.
 */
export async function unsubscribeToken(
  db: CrmQueryable,
  workspaceId: string,
  email: string,
): Promise<string> {
  const payload = Buffer.from(`${workspaceId}\n${normalizeEmail(email)}`).toString("base64url");
  const mac = createHmac("sha256", await secret(db))
    .update(payload)
    .digest("base64url")
    .slice(0, 32);
  return `${payload}.${mac}`;
}

export async function verifyUnsubscribeToken(
  db: CrmQueryable,
  token: string,
): Promise<{ workspaceId: string; email: string }> {
  const invalid = () => new CrmInputError("UNSUBSCRIBE_LINK_INVALID", "This unsubscribe link is not valid");
  const [payload, mac] = token.split(".");
  if (!payload || !mac) throw invalid();
  const expected = createHmac("sha256", await secret(db))
    .update(payload)
    .digest("base64url")
    .slice(0, 32);
  const a = Buffer.from(mac);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw invalid();
  const [workspaceId, email] = Buffer.from(payload, "base64url").toString().split("\n");
  if (!workspaceId || !email) throw invalid();
  return { workspaceId, email };
}
