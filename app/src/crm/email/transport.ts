import net from "node:net";
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { CrmInputError } from "../errors.js";
import type { MailConfig } from "./config.js";

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
  /** Refused for now (4xx) or the connection failed before the message was sent: not delivered. */
  | { kind: "retry"; response: string }
  /** The connection died after the message may have reached the server: delivered or not, unknown. */
  | { kind: "unknown"; response: string };

export interface Transport {
  readonly kind: "local" | "smtp";
  /** The message as RFC 5322 text, DKIM-signed when configured (local transport). */
  render(message: OutgoingMessage): Promise<string>;
  send(message: OutgoingMessage): Promise<DeliveryOutcome>;
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

/** Commands after which a failure means the message never reached the server's queue. */
const BEFORE_DATA = new Set([
  "CONN",
  "EHLO",
  "HELO",
  "STARTTLS",
  "AUTH PLAIN",
  "AUTH LOGIN",
  "MAIL FROM",
  "RCPT TO",
]);

/**
 * Classifies a nodemailer failure. A reply code is the server's decision (not delivered). No
 * reply: the connection failed; before DATA it did not get the message, after it we cannot tell.
 */
export function classifySmtpError(error: unknown): DeliveryOutcome {
  const e = error as {
    responseCode?: number;
    response?: string;
    command?: string;
    code?: string;
    message?: string;
  };
  const response = e.response || e.message || String(error);
  if (typeof e.responseCode === "number") {
    if (e.responseCode >= 500) {
      // 550/551/553 to RCPT: the address does not exist (a hard bounce).
      return { kind: "rejected", response, bounce: e.command === "RCPT TO" || e.code === "EENVELOPE" };
    }
    if (e.responseCode >= 400) return { kind: "retry", response };
  }
  if (e.code === "ECONNECTION" || e.code === "EDNS" || (e.command && BEFORE_DATA.has(e.command))) {
    return { kind: "retry", response };
  }
  return { kind: "unknown", response };
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
      send: async () => ({ kind: "sent", response: "stored in the local mailbox" }),
      close: () => renderer.close(),
    };
  }
  const smtp = nodemailer.createTransport({
    ...smtpOptions(config.smtpUrl),
    pool: true,
    maxConnections: config.concurrency,
    maxMessages: Number.POSITIVE_INFINITY,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // nodemailer leaves Nagle on: each command then waits for the server's delayed ACK
    // (40 ms on Linux), capping one connection at ~20 messages/s. Our own socket has it off.
    getSocket: (
      options: { host?: string; port?: number },
      callback: (error: Error | null, socket?: { connection: net.Socket }) => void,
    ) => {
      const socket = net.connect(options.port ?? 25, options.host ?? "localhost");
      socket.setNoDelay(true);
      const fail = (error: Error) => callback(error);
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.off("error", fail);
        callback(null, { connection: socket });
      });
    },
    ...(config.dkim ? { dkim: config.dkim } : {}),
  } as SMTPTransport.Options);
  return {
    kind: "smtp",
    render,
    async send(m) {
      try {
        const info = await smtp.sendMail(mailOptions(m));
        if (info.rejected.length > 0) {
          return { kind: "rejected", response: String(info.response), bounce: true };
        }
        return { kind: "sent", response: String(info.response) };
      } catch (error) {
        return classifySmtpError(error);
      }
    },
    close: () => smtp.close(),
  };
}
