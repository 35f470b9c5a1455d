import net from "node:net";
import { Readable } from "node:stream";
import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";

/**
 * Called once the server has accepted the envelope and holds the whole message but its
 * terminating dot: the server delivers nothing until it reads that dot. It must record the
 * message as sent and call `releaseDot` after (see ledger.ts `commitSent`); false means the
 * message is no longer ours to send, and the connection is closed without the dot.
 */
export type BeforeFinalDot = (releaseDot: () => void) => Promise<boolean>;

export interface SmtpReply {
  /** Whether the terminating dot was written: a failure after it may or may not be delivered. */
  dotReleased: boolean;
  /** `beforeFinalDot` declined: nothing was delivered and nothing more is to be recorded. */
  abandoned: boolean;
  error?: { responseCode?: number; response?: string; command?: string; code?: string; message?: string };
  response?: string;
}

export interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
}

/**
 * The message body as a stream that gives the server every byte but the end. nodemailer pipes
 * it into the DATA stream only after the server's 354, and appends the terminating dot when it
 * ends; `_read` is called a second time once the body has been handed to that stream.
 */
class HeldMessage extends Readable {
  private given = false;
  private held = false;

  constructor(
    private readonly raw: Buffer,
    private readonly onHeld: () => void,
  ) {
    super();
  }

  override _read(): void {
    if (!this.given) {
      this.given = true;
      this.push(this.raw);
    } else if (!this.held) {
      this.held = true;
      this.onHeld();
    }
  }
}

interface Pooled {
  connection: SMTPConnection;
  alive: boolean;
}

/**
 * SMTP connections kept open between messages (at most one per concurrent sender), built on
 * nodemailer's SMTPConnection rather than its pooled transport: the transport sends a
 * message in one call, and exactly-once needs a hook between the body and the final dot.
 */
export class SmtpPool {
  private readonly idle: Pooled[] = [];
  private closed = false;

  constructor(
    private readonly server: SmtpServer,
    private readonly timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
  ) {}

  /**
   * A connection ready for MAIL FROM: connected, greeted, logged in. Fails (and closes it) on
   * an error, on the server closing first (nodemailer then emits only 'end'), or after the
   * connection and greeting timeouts together.
   */
  private async open(): Promise<Pooled> {
    // nodemailer leaves Nagle on: each command then waits for the server's delayed ACK
    // (40 ms on Linux), capping one connection at ~20 messages/s.
    const socket = this.server.secure ? undefined : new net.Socket().setNoDelay(true);
    const connection = new SMTPConnection({
      host: this.server.host,
      port: this.server.port,
      secure: this.server.secure,
      ...(socket ? { socket } : {}),
      ...this.timeouts,
    });
    const pooled: Pooled = { connection, alive: true };
    const dead = () => {
      pooled.alive = false;
    };
    connection.on("end", dead);
    connection.on("error", dead);
    let fail: (error: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const onError = (error: unknown) => fail(error);
    const onEnd = () =>
      fail(Object.assign(new Error("the server closed the connection"), { code: "ECONNECTION" }));
    const deadline = setTimeout(
      () => fail(Object.assign(new Error("timed out opening the connection"), { code: "ETIMEDOUT" })),
      this.timeouts.connectionTimeout + this.timeouts.greetingTimeout,
    );
    connection.once("error", onError);
    connection.once("end", onEnd);
    try {
      await Promise.race([failed, new Promise<void>((resolve) => connection.connect(() => resolve()))]);
      const auth = this.server.auth;
      if (auth) {
        await Promise.race([
          failed,
          new Promise<void>((resolve, reject) =>
            connection.login(auth, (error) => (error ? reject(error) : resolve())),
          ),
        ]);
      }
      return pooled;
    } catch (error) {
      pooled.alive = false;
      connection.close();
      throw error;
    } finally {
      clearTimeout(deadline);
      connection.off("error", onError);
      connection.off("end", onEnd);
    }
  }

  /** An idle connection (`reused`), or a new one. */
  private async acquire(): Promise<{ pooled: Pooled; reused: boolean }> {
    for (;;) {
      const next = this.idle.pop();
      if (!next) return { pooled: await this.open(), reused: false };
      if (next.alive) return { pooled: next, reused: true };
    }
  }

  /**
   * Sends one message. Connection failures and refusals before the dot mean the server has
   * nothing (it discards a message whose dot never came); the reply says which side of the
   * dot a failure fell on.
   */
  async send(
    envelope: { from: string; to: string },
    raw: Buffer,
    beforeFinalDot: BeforeFinalDot,
  ): Promise<SmtpReply> {
    let acquired: { pooled: Pooled; reused: boolean };
    try {
      acquired = await this.acquire();
    } catch (error) {
      return { dotReleased: false, abandoned: false, error: { code: "ECONNECTION", ...errorFields(error) } };
    }
    const reply = await this.sendOn(acquired.pooled, envelope, raw, beforeFinalDot);
    // A kept-open connection the server had closed meanwhile fails at its first command with
    // no reply; before the held dot nothing can have been delivered, so once more on a new one.
    if (acquired.reused && reply.error && reply.error.responseCode === undefined && !reply.held) {
      return this.send(envelope, raw, beforeFinalDot);
    }
    return reply;
  }

  private sendOn(
    pooled: Pooled,
    envelope: { from: string; to: string },
    raw: Buffer,
    beforeFinalDot: BeforeFinalDot,
  ): Promise<SmtpReply & { held: boolean }> {
    const { connection } = pooled;
    return new Promise((resolve) => {
      let dotReleased = false;
      let held = false;
      let settled = false;
      const settle = (reply: Omit<SmtpReply, "dotReleased">) => {
        if (settled) return;
        settled = true;
        connection.off("error", onError);
        connection.off("end", onEnd);
        if (reply.error || reply.abandoned || this.closed || !pooled.alive) {
          pooled.alive = false;
          connection.close();
        } else this.idle.push(pooled);
        resolve({ dotReleased, held, ...reply });
      };
      const onError = (error: unknown) => settle({ abandoned: false, error: errorFields(error) });
      const onEnd = () =>
        settle({ abandoned: false, error: { code: "ECONNECTION", message: "connection closed" } });
      connection.once("error", onError);
      connection.once("end", onEnd);
      const message = new HeldMessage(raw, () => {
        // Refused before DATA: nodemailer drains the message into a sink after reporting the
        // error (already settled here); there is no dot to hold.
        if (settled) return;
        held = true;
        beforeFinalDot(() => {
          dotReleased = true;
          message.push(null);
        }).then(
          (ok) => {
            // Closing before the dot: the server drops the partial message.
            if (!ok) settle({ abandoned: true });
          },
          (error: Error) => {
            if (!dotReleased) settle({ abandoned: false, error: { code: "EGATE", message: error.message } });
          },
        );
      });
      connection.send({ from: envelope.from, to: [envelope.to] }, message, (error, info) => {
        if (error) settle({ abandoned: false, error: errorFields(error) });
        else if (!dotReleased) {
          // A 2xx before the message ended: the server is out of step with the data (it would
          // read the rest of this message, then the next one, as one). Never reused, never sent.
          settle({
            abandoned: false,
            error: {
              code: "EPROTOCOL",
              message: `the server answered before the end of the message: ${info.response}`,
            },
          });
        } else settle({ abandoned: false, response: String(info.response) });
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.idle.splice(0)) {
      p.alive = false;
      p.connection.quit();
    }
  }
}

/** The fields of a nodemailer error (an Error's `message` is not enumerable: copied by name). */
function errorFields(error: unknown): NonNullable<SmtpReply["error"]> {
  const e = (error ?? {}) as NonNullable<SmtpReply["error"]>;
  return {
    ...(typeof e.responseCode === "number" ? { responseCode: e.responseCode } : {}),
    ...(e.response ? { response: String(e.response) } : {}),
    ...(e.command ? { command: String(e.command) } : {}),
    ...(e.code ? { code: String(e.code) } : {}),
    message: e.message ? String(e.message) : String(error),
  };
}
