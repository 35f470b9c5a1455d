import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface Received {
  messageId: string;
  to: string[];
  raw?: string;
}

export interface SmtpSink {
  url: string;
  port: number;
  /** Every message accepted (replied 250), in order. */
  received: Received[];
  /** How many times each Message-ID was accepted. */
  counts: Map<string, number>;
  /** Refuse these recipients at RCPT TO with 550 (a hard bounce). */
  reject: Set<string>;
  /** Refuse these senders at MAIL FROM with 553 (a relay that will not send for that address). */
  rejectSender: Set<string>;
  /**
   * For these recipients, take the message in full (it counts as received) and then drop the
   * connection without replying: the client cannot tell whether it was accepted.
   */
  dropAfterData: Set<string>;
  /** Drops every open connection at once, as a server's idle timeout or restart would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server in the test process (smtp-server, no TLS, no auth). A message counts as
 * received when its data arrived in full and the server answered 250, as a real server would
 * accept it; a client that dies in the middle of the data leaves nothing.
 */
export async function startSmtpSink(opts: { keepRaw?: boolean } = {}): Promise<SmtpSink> {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const reject = new Set<string>();
  const rejectSender = new Set<string>();
  const dropAfterData = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    maxClients: 1000,
    onMailFrom(address, _session, callback) {
      if (rejectSender.has(address.address.toLowerCase())) {
        return callback(Object.assign(new Error("5.7.1 Sender address rejected"), { responseCode: 553 }));
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (reject.has(address.address.toLowerCase())) {
        const error = Object.assign(new Error("5.1.1 No such user"), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", () => {});
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const m = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw);
        const messageId = m?.[1] ?? "(none)";
        received.push({
          messageId,
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: opts.keepRaw === false ? undefined : raw,
        });
        counts.set(messageId, (counts.get(messageId) ?? 0) + 1);
        if (session.envelope.rcptTo.some((r) => dropAfterData.has(r.address.toLowerCase()))) {
          // smtp-server keeps its connections (with their sockets) in a set keyed by session id
          const conns = (
            server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }
          ).connections;
          for (const c of conns) if (c.id === session.id) c._socket.destroy();
          return;
        }
        callback();
      });
    },
  });
  // A client killed mid-session resets its connection: expected here, not a test failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    counts,
    reject,
    rejectSender,
    dropAfterData,
    dropConnections: () => {
      const conns = (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections;
      for (const c of conns) c._socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
