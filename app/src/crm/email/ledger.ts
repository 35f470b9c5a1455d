import { createHash } from "node:crypto";
import type { CrmDb, CrmQueryable } from "../../db/store.js";

/**
 * The send ledger: one row per message the CRM means to send, keyed (campaign, address) or
 * (enrollment, step), with a Message-ID fixed when the row is created.
 *
 *   pending ──claim──▶ sending ──▶ sent | failed | pending (4xx / no connection: not delivered)
 *      │                  │
 *      │                  └─ crash ─▶ unknown (SMTP: the server may have it; never sent again)
 *      │                           ▶ sent or pending (local mailbox: the mailbox row decides)
 *      └──claim──▶ suppressed (address on the suppression list) | skipped (missing variable, canceled)
 *
 * The rule that makes it exactly-once: a row leaves `pending` once, by one statement, before
 * any byte goes to the server, and nothing ever moves a row back to `pending` unless the
 * message provably did not leave (a reply code, a failed connect, no mailbox row).
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
 * Records what happened to a claimed row. Only the attempt that claimed it can; `unknown`
 * (set by recovery while this attempt was presumed dead) may still be corrected to what the
 * server said. A 4xx or a failed connect puts the row back to `pending` (it did not leave).
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
       finished_at = case when $3 = 'pending' then null else now() end
     where id = $1::bigint and attempt_id = $2 and state in ('sending', 'unknown')`,
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
      `update crm_send_ledger set state = 'sent', detail = 'stored in the local mailbox', finished_at = now()
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
 * Crash recovery, when a new attempt starts: rows another attempt left in `sending`. Local
 * transport: sent if the mailbox has the message, else pending (it never left). SMTP: the
 * server may or may not have it, and sending again could duplicate it, so `unknown`: never
 * sent again, counted and listed as such for a person to look at.
 */
export async function recoverStale(
  db: CrmQueryable,
  scope: { campaignId: string } | { enrollmentId: string },
  attemptId: string,
): Promise<{ unknown: number; requeued: number; sent: number }> {
  const [column, value] =
    "campaignId" in scope ? ["campaign_id", scope.campaignId] : ["enrollment_id", scope.enrollmentId];
  const { rows } = await db.query<{ state: string; n: number }>(
    `with r as (
       update crm_send_ledger l set
         state = case when exists (select 1 from crm_mailbox m where m.message_id = l.message_id) then 'sent'
                      when l.transport = 'local' then 'pending' else 'unknown' end,
         detail = case when exists (select 1 from crm_mailbox m where m.message_id = l.message_id)
                         then 'stored in the local mailbox (recovered)'
                       when l.transport = 'local' then null
                       else 'outcome unknown: the sending process stopped after handing the message to the SMTP server; not sent again' end,
         finished_at = case when l.transport = 'local' and not exists (select 1 from crm_mailbox m where m.message_id = l.message_id)
                            then null else now() end
       where l.${column} = $1 and l.state = 'sending' and l.attempt_id is distinct from $2
       returning l.state)
     select state, count(*)::int as n from r group by state`,
    [value, attemptId],
  );
  const n = (s: string) => rows.find((r) => r.state === s)?.n ?? 0;
  return { unknown: n("unknown"), requeued: n("pending"), sent: n("sent") };
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
