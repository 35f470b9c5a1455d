import { hostname } from "node:os";
import type { CrmDb } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { type Campaign, getCampaign, refreshCampaignStats, setCampaignStatus } from "./campaigns.js";
import type { MailConfig } from "./config.js";
import {
  claim,
  commitSent,
  deliverLocally,
  finish,
  type LedgerCounts,
  type LedgerRow,
  pendingPage,
  recoverStale,
} from "./ledger.js";
import { reportCampaignProgress } from "./progress.js";
import { Pacer } from "./rate.js";
import { suppress, unsubscribeToken } from "./suppression.js";
import { parseTemplate, renderTemplate, type TemplatePart } from "./template.js";
import { createTransport, type DeliveryOutcome, type OutgoingMessage, type Transport } from "./transport.js";

/** Rows read per page; each is still claimed by its own statement just before it is sent. */
const PAGE = 1_000;
/** A message refused for now (4xx) or not connected is tried this often, then `failed`. */
const MAX_TRIES = 5;
const STATUS_CHECK_MS = 500;
const PROGRESS_MS = 1_000;

export interface SendResult {
  status: "sent" | "paused" | "canceled";
  counts: LedgerCounts;
  recovered: { requeued: number; sent: number; unconfirmed: number };
  ratePerSecond: number;
  rateLimit: number;
}

export interface Mail {
  row: LedgerRow;
  subject: TemplatePart[];
  body: TemplatePart[];
  from: string;
  unsubscribe: boolean;
}

/**
 * Sends one claimed row through the transport and records the outcome. Returns the outcome,
 * or null when the row was skipped for a missing template variable.
 */
export async function deliverClaimed(
  db: CrmDb,
  transport: Transport,
  config: MailConfig,
  attemptId: string,
  mail: Mail,
): Promise<DeliveryOutcome | { kind: "skipped"; missing: string[] }> {
  const { row } = mail;
  const subject = renderTemplate(mail.subject, row.vars);
  const body = renderTemplate(mail.body, row.vars);
  if (!subject.ok || !body.ok) {
    const missing = [...(subject.ok ? [] : subject.missing), ...(body.ok ? [] : body.missing)];
    await finish(db, row.id, attemptId, "skipped", `missing template variable(s): ${missing.join(", ")}`);
    return { kind: "skipped", missing };
  }
  let unsubscribe: OutgoingMessage["unsubscribe"];
  if (mail.unsubscribe) {
    const token = await unsubscribeToken(db, row.workspaceId, row.email);
    unsubscribe = {
      url: `${config.publicUrl}/app/unsubscribe/${token}`,
      mailto: `mailto:unsubscribe@${config.domain}?subject=unsubscribe%20${token}`,
    };
  }
  const message: OutgoingMessage = {
    from: mail.from,
    to: { name: row.name, address: row.email },
    subject: subject.text,
    text: body.text,
    messageId: row.messageId,
    unsubscribe,
  };
  if (transport.kind === "local") {
    const raw = await transport.render(message);
    const stored = await deliverLocally(db, row, attemptId, { to: row.email, subject: subject.text, raw });
    return stored
      ? { kind: "sent", response: "stored in the local mailbox" }
      : { kind: "unknown", response: "lost the claim" };
  }
  const outcome = await transport.send(message, (releaseDot) =>
    commitSent(db, row.id, attemptId, releaseDot),
  );
  if (outcome.kind === "abandoned") return outcome;
  if (outcome.kind === "sent") await finish(db, row.id, attemptId, "sent", outcome.response);
  else if (outcome.kind === "rejected") {
    await finish(db, row.id, attemptId, "failed", outcome.response);
    if (outcome.bounce)
      await suppress(db, {
        workspaceId: row.workspaceId,
        email: row.email,
        reason: "bounce",
        source: row.messageId,
      });
  } else if (outcome.kind === "unknown") await finish(db, row.id, attemptId, "unknown", outcome.response);
  else if (outcome.kind === "blocked") await finish(db, row.id, attemptId, "pending", outcome.response);
  else {
    const { rows } = await db.query<{ tries: number }>(
      "select tries from crm_send_ledger where id = $1::bigint",
      [row.id],
    );
    const last = (rows[0]?.tries ?? MAX_TRIES) >= MAX_TRIES;
    await finish(db, row.id, attemptId, last ? "failed" : "pending", outcome.response);
  }
  return outcome;
}

/**
 * The body of `send-campaign` once the campaign may go out: recovers what a crashed attempt
 * left, then walks the pending rows, each claimed (suppression checked) before it is handed
 * to the transport, paced to the workspace's rate, `concurrency` at a time. Stops early on
 * pause or cancel (checked every 500 ms) and when the run's signal aborts (lease lost,
 * shutdown): the rows not yet claimed stay pending for the next run.
 */
export async function sendCampaign(
  db: CrmDb,
  campaign: Campaign,
  opts: { attemptId: string; runId: string; signal: AbortSignal; config: MailConfig; ratePerSecond: number },
): Promise<SendResult> {
  const { attemptId, signal, config } = opts;
  const recovered = await recoverStale(db, { campaignId: campaign.id }, attemptId);
  await setCampaignStatus(db, campaign, "sending", {
    reason: null,
    from: ["draft", "scheduled", "awaiting_approval", "sending"],
    runId: opts.runId,
    sender: `${hostname()}:${process.pid}`,
  });
  const mail = {
    subject: parseTemplate(campaign.subject, "subject"),
    body: parseTemplate(campaign.body, "body"),
    from: campaign.fromAddress || config.from,
    unsubscribe: true,
  };
  const transport = createTransport(config);
  const pacer = new Pacer(opts.ratePerSecond);
  const startedAt = performance.now();
  let sentHere = 0;
  let stop: "paused" | "canceled" | "aborted" | "blocked" | null = null;
  let blockedBy = "";
  let lastCheck = performance.now();
  let lastProgress = 0;
  let retried = 0;
  const checkStatus = async () => {
    if (performance.now() - lastCheck < STATUS_CHECK_MS) return;
    lastCheck = performance.now();
    const { status } = await getCampaign(db, campaign.workspaceId, campaign.id);
    if (status === "paused" || status === "canceled") stop = status;
  };
  const rate = () => sentHere / Math.max(0.001, (performance.now() - startedAt) / 1000);
  const progress = async (status: string, force = false) => {
    if (!force && performance.now() - lastProgress < PROGRESS_MS) return;
    lastProgress = performance.now();
    const counts = await refreshCampaignStats(db, campaign);
    await reportCampaignProgress(campaign, status, counts, rate());
    return counts;
  };
  try {
    await progress("sending", true);
    for (let pass = 0; pass < MAX_TRIES && !stop; pass++) {
      let after = "0";
      retried = 0;
      for (;;) {
        if (signal.aborted) stop = "aborted";
        if (stop) break;
        const page = await pendingPage(db, campaign.id, after, PAGE);
        if (page.length === 0) break;
        after = page[page.length - 1]!.id;
        let next = 0;
        const worker = async () => {
          for (;;) {
            // A macrotask per message: PGlite answers in microtasks, and without this the lease
            // heartbeat's timer can starve until the lease lapses (the run is then retried).
            await new Promise((r) => setImmediate(r));
            if (signal.aborted) stop = "aborted";
            await checkStatus();
            // Take the row after the last await: another worker may have taken the last one meanwhile.
            if (stop || next >= page.length) return;
            const row = page[next++]!;
            await pacer.next(signal);
            if (signal.aborted) {
              stop = "aborted";
              return;
            }
            const claimed = await claim(db, row.id, attemptId, transport.kind);
            if (claimed !== "sending") continue;
            const outcome = await deliverClaimed(db, transport, config, attemptId, { row, ...mail });
            if (outcome.kind === "sent") sentHere++;
            if (outcome.kind === "retry") retried++;
            if (outcome.kind === "blocked" && !stop) {
              stop = "blocked";
              blockedBy = outcome.response;
            }
            await progress("sending");
          }
        };
        await Promise.all(Array.from({ length: config.concurrency }, worker));
      }
      if (retried === 0) break;
      // Some servers answered 4xx or did not connect: those rows are pending again. Back off, retry.
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** pass)));
    }
  } finally {
    transport.close();
  }
  if (stop === "aborted") throw signal.reason ?? new Error("send-campaign aborted");
  if (stop === "blocked") {
    // Every message would be refused the same way: pause with the server's answer (the rows
    // not sent stay pending), for a person to fix the from address or SMTP_URL and resume.
    await setCampaignStatus(db, campaign, "paused", {
      from: ["sending"],
      reason: `the SMTP server refused the sender: ${blockedBy.slice(0, 300)}. Fix the from address or SMTP_URL, then resume`,
    });
  }
  let final: "sent" | "paused" | "canceled" = stop === "blocked" ? "paused" : (stop ?? "sent");
  if (final === "sent") {
    const done = await setCampaignStatus(db, campaign, "sent", { from: ["sending"] });
    if (!done)
      final =
        (await getCampaign(db, campaign.workspaceId, campaign.id)).status === "paused"
          ? "paused"
          : "canceled";
  }
  if (final === "sent") {
    // Rows still refused after every retry: failed, with the server's last answer.
    await db.query(
      `update crm_send_ledger set state = 'failed', finished_at = now(), detail = coalesce(detail, 'not accepted after retries')
       where campaign_id = $1 and state = 'pending'`,
      [campaign.id],
    );
  }
  const counts = (await progress(final, true))!;
  return { status: final, counts, recovered, ratePerSecond: rate(), rateLimit: opts.ratePerSecond };
}

export function assertSendable(c: Campaign): void {
  if (c.status === "sent" || c.status === "failed" || c.status === "canceled") {
    throw new CrmInputError("CAMPAIGN_STATE", `Campaign "${c.id}" is ${c.status}; it cannot be sent again`);
  }
}
