import nodemailer from "nodemailer";
import { CrmInputError } from "../errors.js";
import type { MailConfig } from "./config.js";
import { type BeforeFinalDot, SmtpPool, type SmtpReply } from "./smtp-pool.js";

export interface OutgoingMessage {
  from: string;
  to: { name?: string | null; address: string };
  subject: string;
  text: string;
  messageId: string;
  /** RFC 8058: an HTTPS one-click URL and a mailto fallback. Absent for one-to-one mail. */
  unsubscribe?: { url: string; mailto: string };
}

export type DeliveryOutcome =
  /** The server accepted the message (SMTP 250), or the local mailbox stored it. */
  | { kind: "sent"; response: string }
  /** The server refused it for good (5xx): not delivered. `bounce` for a refused recipient. */
  | { kind: "rejected"; response: string; bounce: boolean }
  /** Refused for now (4xx), or the connection failed before the final dot: not delivered. */
  | { kind: "retry"; response: string }
  /** The connection died after the final dot, before the server's reply: delivered or not, unknown. */
  | { kind: "unknown"; response: string }
  /** The sender no longer owned the row at the final dot: closed without it, nothing delivered. */
  | { kind: "abandoned"; response: string }
  /**
   * The server refuses the sender or the connection itself (5xx to the greeting, AUTH or MAIL
   * FROM): not delivered, and no other message will be until the configuration changes.
   */
  | { kind: "blocked"; response: string };

export interface Transport {
  readonly kind: "local" | "smtp";
  /** The message as RFC 5322 text, DKIM-signed when configured. */
  render(message: OutgoingMessage): Promise<string>;
  /**
   * SMTP: sends the message; `beforeFinalDot` records it as sent before the server can have
   * it (see smtp-pool.ts). The local transport stores through the ledger instead (ledger.ts).
   */
  send(message: OutgoingMessage, beforeFinalDot: BeforeFinalDot): Promise<DeliveryOutcome>;
  close(): void;
}

function mailOptions(m: OutgoingMessage) {
  const headers: Record<string, string> = {};
  if (m.unsubscribe) {
    headers["List-Unsubscribe"] = `<${m.unsubscribe.url}>, <${m.unsubscribe.mailto}>`;
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
  }
  return {
    from: m.from,
    to: m.to.name ? { name: m.to.name, address: m.to.address } : m.to.address,
    subject: m.subject,
    text: m.text,
    messageId: m.messageId,
    headers,
  };
}

/**
 * Classifies an SMTP exchange that did not end in a 250. A reply code is the server's
 * decision (not delivered). No reply: before the final dot the server discards the partial
 * message, so it is not delivered; after the dot we cannot tell.
 *
 * Only a refused recipient is a bounce that suppresses the address: 550/551/553 to RCPT TO,
 * or an enhanced status 5.1.x ("bad destination"). A 5xx to the greeting, AUTH or MAIL FROM
 * is about our side (the from address, the credentials), the same for every recipient.
 */
export function classifySmtpFailure(reply: SmtpReply): DeliveryOutcome {
  const e = reply.error ?? {};
  const response = e.response || e.message || "no reply";
  if (reply.abandoned) return { kind: "abandoned", response: "no longer this sender's to send" };
  if (typeof e.responseCode === "number") {
    if (e.responseCode >= 500) {
      if (e.command === "RCPT TO") {
        const badAddress = [550, 551, 553].includes(e.responseCode) || /\b5\.1\.\d+\b/.test(response);
        return { kind: "rejected", response, bounce: badAddress };
      }
      if (!reply.dotReleased && e.command !== "DATA") return { kind: "blocked", response };
      return { kind: "rejected", response, bounce: false };
    }
    if (e.responseCode >= 400) return { kind: "retry", response };
  }
  return reply.dotReleased ? { kind: "unknown", response } : { kind: "retry", response };
}

/** smtp://user:pass@host:port or smtps://… → nodemailer's options (default ports 587 and 465). */
export function smtpOptions(url: string): {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CrmInputError(
      "MAIL_CONFIG_INVALID",
      `SMTP_URL "${url}" is not a URL (smtp://user:pass@host:port)`,
    );
  }
  if (u.protocol !== "smtp:" && u.protocol !== "smtps:") {
    throw new CrmInputError(
      "MAIL_CONFIG_INVALID",
      `SMTP_URL must start with smtp:// or smtps://, got "${u.protocol}"`,
    );
  }
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username
      ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } }
      : {}),
  };
}

export function createTransport(config: MailConfig): Transport {
  const renderer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    ...(config.dkim ? { dkim: config.dkim } : {}),
  });
  const render = async (m: OutgoingMessage) => {
    const info = await renderer.sendMail(mailOptions(m));
    return (info.message as Buffer).toString("utf8");
  };
  if (!config.smtpUrl) {
    return {
      kind: "local",
      render,
      // The local transport's "send" is the mailbox insert, done by the ledger in the
      // transaction that marks the row sent (see ledger.ts): nothing to do here.
      send: async () => {
        throw new Error("the local transport stores through the ledger (deliverLocally)");
      },
      close: () => renderer.close(),
    };
  }
  const pool = new SmtpPool(smtpOptions(config.smtpUrl));
  return {
    kind: "smtp",
    render,
    async send(m, beforeFinalDot) {
      const info = await renderer.sendMail(mailOptions(m));
      const raw = info.message as Buffer;
      const from = info.envelope.from || "";
      const reply = await pool.send({ from, to: m.to.address }, raw, beforeFinalDot);
      if (!reply.error && !reply.abandoned) return { kind: "sent", response: reply.response ?? "250" };
      return classifySmtpFailure(reply);
    },
    close: () => {
      pool.close();
      renderer.close();
    },
  };
}
