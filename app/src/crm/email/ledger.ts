import { createHash } from "node:crypto";
import type { CrmDb, CrmQueryable } from "../../db/store.js";

/**
 * The send ledger: one row per message the CRM means to send, keyed (campaign, address) or
 * (enrollment, step), with a Message-ID fixed when the row is created.
 *
 *   pending ──claim──▶ sending ──commitSent──▶ sent ──reply──▶ sent | failed | pending (5xx / 4xx)
 *      │                  │                      └─ no reply after the dot ─▶ unknown
 *      │                  ├─ refused or no connection before the dot ─▶ pending | failed
 *      │                  └─ crash ─▶ pending (recovery: the server never got the final dot)
 *      └──claim──▶ suppressed (address on the suppression list) | skipped (missing variable, canceled)
 *
 * Why a crash is never a second send and (almost) never a lost one. An SMTP server delivers
 * nothing until it reads the dot that ends the message; a connection that dies before it
 * leaves the server nothing. So the row is committed `sent` while the server holds the whole
 * message except that dot, and the dot goes out after the COMMIT: on PostgreSQL in the same
 * tick as the COMMIT is written to its socket (a process killed after both writes has handed
 * both to the kernel, which delivers them), on PGlite right after its in-process commit. A
 * row still `sending` after its process died therefore never reached a server, and is sent
 * again. What remains, documented in docs/email.md: a kill in the microseconds between the
 * two writes (the row says sent, the server has nothing: lost, never doubled), and a
 * connection lost after the dot with no reply (`unknown`, never sent again).
 * The local mailbox transport stores the message and marks the row in one transaction.
 */
export type LedgerState = "pending" | "sending" | "sent" | "failed" | "suppressed" | "skipped" | "unknown";

export interface LedgerRow {
  id: string;
  workspaceId: string;
  email: string;
  name: string | null;
  vars: Record<string, string | null>;
  messageId: string;
  prospectId: string | null;
}

const ROW = `id::text as id, workspace_id as "workspaceId", email, name, vars, message_id as "messageId", prospect_id as "prospectId"`;

/** `<c.{campaign}.{hash of address}@domain>`: the same for every attempt, never for two recipients. */
export function campaignMessageId(campaignId: string, email: string, domain: string): string {
  const h = createHash("sha256").update(`${campaignId}\n${email}`).digest("hex").slice(0, 24);
  return `<c.${campaignId}.${h}@${domain}>`;
}

export function sequenceMessageId(enrollmentId: string, step: number, domain: string): string {
  return `<s.${enrollmentId}.${step}@${domain}>`;
}

/** Pending rows of a campaign after `afterId`, in id order (a page to claim one by one). */
export async function pendingPage(
  db: CrmQueryable,
  campaignId: string,
  afterId: string,
  limit: number,
): Promise<LedgerRow[]> {
  // Order by the bigint column, not the text alias `id` of the select list (which ORDER BY
  // would pick first): text order ("10" < "9") would make the keyset skip rows.
  const { rows } = await db.query<LedgerRow>(
    `select ${ROW} from crm_send_ledger l where l.campaign_id = $1 and l.state = 'pending' and l.id > $2::bigint
     order by l.id limit $3`,
    [campaignId, afterId, limit],
  );
  return rows;
}

/**
 * Claims one row for this attempt: `sending`, or `suppressed` when its address is on the
 * workspace's list (checked here, at send time). Null when the row is no longer pending.
 * Committed before the message is handed to the transport: that commit is the point after
 * which a crash can never lead to a second send.
 */
export async function claim(
  db: CrmQueryable,
  rowId: string,
  attemptId: string,
  transport: "local" | "smtp",
): Promise<"sending" | "suppressed" | null> {
  const { rows } = await db.query<{ state: "sending" | "suppressed" }>(
    `update crm_send_ledger l set
       state = case when s.reason is null then 'sending' else 'suppressed' end,
       detail = case when s.reason is null then null else 'suppressed: ' || s.reason end,
       finished_at = case when s.reason is null then null else now() end,
       attempt_id = $2, transport = $3, claimed_at = now(), tries = l.tries + 1
     from crm_send_ledger x left join crm_suppressions s on s.workspace_id = x.workspace_id and s.email = x.email
     where l.id = $1::bigint and x.id = l.id and l.state = 'pending'
     returning l.state`,
    [rowId, attemptId, transport],
  );
  return rows[0]?.state ?? null;
}

/**
 * Commits a claimed row as sent, then calls `releaseDot` (the transport's final dot) in an
 * order a kill cannot reverse (see above). False, and no dot, when the row is no longer this
 * attempt's (recovery gave it to another). The row lock taken here makes a recovery that
 * starts meanwhile wait for the commit, and then find the row sent.
 */
export async function commitSent(
  db: CrmDb,
  rowId: string,
  attemptId: string,
  releaseDot: () => void,
): Promise<boolean> {
  let released = false;
  try {
    return await db.transaction(
      async (tx) =>
        (
          await tx.query(
            `update crm_send_ledger set state = 'sent', detail = 'handed to the SMTP server; awaiting its reply', finished_at = now()
             where id = $1::bigint and attempt_id = $2 and state = 'sending'`,
            [rowId, attemptId],
          )
        ).rowCount > 0,
      {
        afterCommitSent: (ok) => {
          if (!ok) return;
          released = true;
          releaseDot();
        },
      },
    );
  } catch (error) {
    if (!released) throw error;
    // The COMMIT failed after the dot went out: the server may deliver it, so never `pending`.
    // The server's reply (finish) then corrects `unknown` to what it said.
    await finish(
      db,
      rowId,
      attemptId,
      "unknown",
      `the commit failed after the final dot: ${(error as Error).message}`,
    ).catch(() => {});
    return true;
  }
}

/**
 * Records what happened to a claimed or committed row. Only the attempt that claimed it can:
 * the server's reply after the dot (`sent` committed before it), a refusal or a failed
 * connect before the dot (back to `pending`: it did not leave), or `unknown`.
 */
export async function finish(
  db: CrmQueryable,
  rowId: string,
  attemptId: string,
  state: "sent" | "failed" | "skipped" | "pending" | "unknown",
  detail: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update crm_send_ledger set state = $3, detail = $4,
       finished_at = case when $3 = 'pending' then null else now() end,
       replied_at = case when $3 in ('sent', 'failed') then now() end
     where id = $1::bigint and attempt_id = $2 and state in ('sending', 'sent', 'unknown')`,
    [rowId, attemptId, state, detail.slice(0, 1000)],
  );
  return rowCount > 0;
}

/**
 * The local transport's delivery: the mailbox row and `sent` in one transaction, so the
 * outcome is never unknown. The ledger update goes first and locks the row: if recovery took
 * the row from this attempt meanwhile, nothing is stored.
 */
export async function deliverLocally(
  db: CrmDb,
  row: LedgerRow,
  attemptId: string,
  message: { to: string; subject: string; raw: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `update crm_send_ledger set state = 'sent', detail = 'stored in the local mailbox', finished_at = now(), replied_at = now()
       where id = $1::bigint and attempt_id = $2 and state = 'sending'`,
      [row.id, attemptId],
    );
    if (rowCount === 0) return false;
    await tx.query(
      `insert into crm_mailbox (workspace_id, message_id, transport, to_address, subject, raw)
       values ($1, $2, 'local', $3, $4, $5)`,
      [row.workspaceId, row.messageId, message.to, message.subject, message.raw],
    );
    return true;
  });
}

/**
 * Crash recovery, when a new attempt starts, for rows another attempt left behind:
 * - `sending`: none reached a server (the final dot follows the commit to `sent`), so they are
 *   sent again: back to `pending`, unless the local mailbox has the message (then `sent`).
 * - `sent` over SMTP with no reply recorded: handed over, the server's answer never read. The
 *   server has it, unless the process died in the instant between the commit and the dot
 *   (ledger.ts header); never sent again, marked unconfirmed in `detail` and counted.
 * A row whose old attempt is still alive (its lease lapsed) is safe: that attempt's commitSent
 * no longer matches the row, so it closes its connection without the dot.
 */
export async function recoverStale(
  db: CrmQueryable,
  scope: { campaignId: string } | { enrollmentId: string },
  attemptId: string,
): Promise<{ requeued: number; sent: number; unconfirmed: number }> {
  const [column, value] =
    "campaignId" in scope ? ["campaign_id", scope.campaignId] : ["enrollment_id", scope.enrollmentId];
  const { rows } = await db.query<{ state: string; n: number }>(
    `with stale as (
       update crm_send_ledger l set
         state = case when exists (select 1 from crm_mailbox m where m.message_id = l.message_id) then 'sent' else 'pending' end,
         detail = case when exists (select 1 from crm_mailbox m where m.message_id = l.message_id)
                         then 'stored in the local mailbox (recovered)' end,
         finished_at = case when exists (select 1 from crm_mailbox m where m.message_id = l.message_id) then now() end
       where l.${column} = $1 and l.state = 'sending' and l.attempt_id is distinct from $2
       returning l.state),
     unreplied as (
       update crm_send_ledger l set replied_at = now(),
         detail = $3
       where l.${column} = $1 and l.state = 'sent' and l.transport = 'smtp' and l.replied_at is null
         and l.attempt_id is distinct from $2
       returning 'unconfirmed'::text as state)
     select state, count(*)::int as n from (select state from stale union all select state from unreplied) x group by state`,
    [value, attemptId, UNCONFIRMED],
  );
  const n = (s: string) => rows.find((r) => r.state === s)?.n ?? 0;
  return { requeued: n("pending"), sent: n("sent"), unconfirmed: n("unconfirmed") };
}

/** `detail` of a sent row whose sender died before reading the server's reply. */
export const UNCONFIRMED =
  "unconfirmed: handed to the SMTP server, whose reply the stopped sender never read; not sent again";

export interface Recipient {
  id: string;
  email: string;
  state: LedgerState;
  messageId: string;
  detail: string | null;
  tries: number;
  claimedAt: Date | null;
  finishedAt: Date | null;
}

/** A campaign's ledger rows, optionally of one state, in id order after `afterId` (a cursor). */
export async function campaignRecipients(
  db: CrmQueryable,
  campaignId: string,
  opts: { state?: LedgerState; afterId?: string; limit?: number } = {},
): Promise<Recipient[]> {
  const { rows } = await db.query<Recipient>(
    `select l.id::text as id, email, state, message_id as "messageId", detail, tries,
       claimed_at as "claimedAt", finished_at as "finishedAt"
     from crm_send_ledger l where campaign_id = $1 and ($2::text is null or state = $2) and l.id > $3::bigint
     order by l.id limit $4`,
    [campaignId, opts.state ?? null, opts.afterId ?? "0", Math.min(opts.limit ?? 100, 1000)],
  );
  return rows;
}

/**
 * A person's decision on a row whose outcome is `unknown` (the connection died after the
 * final dot): `sent` or `failed` as the server's logs say, or `resend` (back to `pending`,
 * sent by the campaign's next run: a duplicate if the server did have it). Returns false if
 * the row is not unknown (any more).
 */
export async function resolveUnknown(
  db: CrmQueryable,
  campaignId: string,
  rowId: string,
  decision: "sent" | "failed" | "resend",
  by: string,
): Promise<boolean> {
  const state = decision === "resend" ? "pending" : decision;
  const { rowCount } = await db.query(
    `update crm_send_ledger set state = $3, replied_at = case when $3 = 'pending' then null else now() end,
       finished_at = case when $3 = 'pending' then null else now() end,
       detail = 'resolved by ' || $4 || ': ' || $5 || coalesce(' (was: ' || detail || ')', '')
     where campaign_id = $1 and id = $2::bigint and state = 'unknown'`,
    [campaignId, rowId, state, by, decision],
  );
  return rowCount > 0;
}

export type LedgerCounts = Record<LedgerState, number> & { total: number };

export async function campaignCounts(db: CrmQueryable, campaignId: string): Promise<LedgerCounts> {
  const { rows } = await db.query<{ state: LedgerState; n: number }>(
    "select state, count(*)::int as n from crm_send_ledger where campaign_id = $1 group by state",
    [campaignId],
  );
  const counts: LedgerCounts = {
    pending: 0,
    sending: 0,
    sent: 0,
    failed: 0,
    suppressed: 0,
    skipped: 0,
    unknown: 0,
    total: 0,
  };
  for (const r of rows) {
    counts[r.state] = r.n;
    counts.total += r.n;
  }
  return counts;
}
