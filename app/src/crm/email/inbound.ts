import { type ParsedMail, simpleParser } from "mailparser";
import type { CrmDb } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { recordActivity } from "../prospects.js";
import { suppress, verifyUnsubscribeToken } from "./suppression.js";

/**
 * Mail that comes back: bounce reports (DSN, RFC 3464), unsubscribe requests sent to the
 * List-Unsubscribe mailto address, and replies to what the CRM sent. Each is tied to what we
 * sent through its Message-ID (the ledger's are deterministic), so an unrelated message
 * changes nothing. A mail server hands them over by POSTing the raw message (see
 * docs/email.md, "Inbound mail").
 */
export type InboundResult =
  | { kind: "bounce"; workspaceId: string; suppressed: string[] }
  | { kind: "unsubscribe"; workspaceId: string; email: string }
  | { kind: "reply"; workspaceId: string; prospectId: string | null; inReplyTo: string }
  | { kind: "ignored"; reason: string };

/** Message-IDs the message refers to (In-Reply-To, References), as `<…>`. */
function referencedIds(mail: ParsedMail): string[] {
  const refs = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];
  return [...(mail.inReplyTo ? [mail.inReplyTo] : []), ...refs].flatMap((v) => v.match(/<[^<>\s]+>/g) ?? []);
}

interface SentRow {
  workspace_id: string;
  prospect_id: string | null;
  email: string;
  message_id: string;
}

async function sentRow(db: CrmDb, messageIds: string[]): Promise<SentRow | undefined> {
  if (messageIds.length === 0) return undefined;
  const { rows } = await db.query<SentRow>(
    `select workspace_id, prospect_id, email, message_id from crm_send_ledger
     where message_id = any($1::text[]) and state in ('sent', 'unknown') limit 1`,
    [messageIds],
  );
  return rows[0];
}

/** The failed recipients of a delivery-status report: `Action: failed` with a 5.x.x status. */
export function failedRecipients(deliveryStatus: string): string[] {
  const failed: string[] = [];
  // Per-recipient groups are separated by blank lines; the first group is per-message.
  for (const group of deliveryStatus.replace(/\r\n/g, "\n").split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "im").exec(group)?.[1]?.trim();
    const recipient = field("Final-Recipient") ?? field("Original-Recipient");
    if (!recipient) continue;
    const action = field("Action")?.toLowerCase();
    const status = field("Status") ?? "";
    if (action === "failed" && status.startsWith("5")) {
      failed.push(
        recipient
          .replace(/^rfc822;\s*/i, "")
          .trim()
          .toLowerCase(),
      );
    }
  }
  return failed;
}

/**
 * One part of a multipart/report, by content type (mailparser folds message/delivery-status
 * into the text body, so it is read from the raw MIME; DSN parts are 7-bit text).
 */
function reportPart(raw: string, boundary: string, type: string): string | undefined {
  if (!boundary) return undefined;
  for (const part of raw.split(`--${boundary}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split === -1) continue;
    const head = part.slice(0, split);
    if (new RegExp(`^content-type:\\s*${type.replace("/", "\\/")}`, "im").test(head)) {
      return part.slice(split).trim();
    }
  }
  return undefined;
}

export async function processInbound(db: CrmDb, raw: string): Promise<InboundResult> {
  if (!raw.trim()) throw new CrmInputError("INVALID_INPUT", "The message is empty");
  const mail = await simpleParser(raw);
  const contentType = mail.headers.get("content-type") as { value?: string; params?: Record<string, string> };
  // A bounce report: the original's Message-ID is in its returned headers.
  if (
    contentType?.value === "multipart/report" &&
    contentType.params?.["report-type"] === "delivery-status"
  ) {
    const status = reportPart(raw, contentType.params.boundary ?? "", "message/delivery-status");
    const boundary = contentType.params.boundary ?? "";
    const original =
      reportPart(raw, boundary, "text/rfc822-headers") ?? reportPart(raw, boundary, "message/rfc822");
    const originalId = original?.match(/^Message-ID:\s*(<[^>\s]+>)/im)?.[1];
    const row = await sentRow(
      db,
      [originalId, ...referencedIds(mail)].filter((v): v is string => !!v),
    );
    if (!row) return { kind: "ignored", reason: "a bounce report for a message we did not send" };
    // Only the address that message went to: a report naming others (a forged one) suppresses nobody else.
    const failed = (status ? failedRecipients(status) : []).filter((email) => email === row.email);
    if (failed.length === 0)
      return { kind: "ignored", reason: "a delivery report without a permanent failure" };
    for (const email of failed) {
      await suppress(db, { workspaceId: row.workspace_id, email, reason: "bounce", source: row.message_id });
    }
    await db.query(
      `update crm_send_ledger set detail = 'bounced later: ' || coalesce(detail, '')
       where message_id = $1 and state = 'sent'`,
      [row.message_id],
    );
    return { kind: "bounce", workspaceId: row.workspace_id, suppressed: failed };
  }
  // The List-Unsubscribe mailto: subject "unsubscribe <signed token>".
  const token = /^\s*unsubscribe\s+(\S+\.\S+)\s*$/i.exec(mail.subject ?? "")?.[1];
  if (token) {
    const signed = await verifyUnsubscribeToken(db, token).catch(() => undefined);
    if (signed) {
      await suppress(db, { ...signed, reason: "unsubscribe", source: "mailto" });
      return { kind: "unsubscribe", ...signed };
    }
    // Not one of our tokens ("unsubscribe please", a forgery): read it as any other message.
  }
  // A reply to something we sent; automatic replies (out of office) do not count (RFC 3834).
  const auto = String(mail.headers.get("auto-submitted") ?? "no").toLowerCase();
  const row = await sentRow(db, referencedIds(mail));
  if (!row) return { kind: "ignored", reason: "not a reply to a message we sent" };
  if (auto !== "no") return { kind: "ignored", reason: `an automatic reply (Auto-Submitted: ${auto})` };
  // From the address we wrote to: anyone can quote a Message-ID, only the lead's mailbox answers.
  const from = mail.from?.value[0]?.address?.toLowerCase();
  if (from !== row.email)
    return { kind: "ignored", reason: "a reply from another address than the recipient's" };
  if (row.prospect_id) {
    await recordActivity(db, {
      workspaceId: row.workspace_id,
      prospectId: row.prospect_id,
      kind: "email_replied",
      occurredAt: mail.date,
      details: { inReplyTo: row.message_id, subject: mail.subject ?? "" },
    });
  }
  return {
    kind: "reply",
    workspaceId: row.workspace_id,
    prospectId: row.prospect_id,
    inReplyTo: row.message_id,
  };
}
