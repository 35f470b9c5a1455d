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
    await new Promise<void>((resolve, reject) => {
      connection.once("error", reject);
      connection.connect(() => {
        connection.off("error", reject);
        resolve();
      });
    });
    if (this.server.auth) {
      const auth = this.server.auth;
      await new Promise<void>((resolve, reject) => {
        connection.login(auth, (error) => (error ? reject(error) : resolve()));
      });
    }
    return pooled;
  }

  private async acquire(): Promise<Pooled> {
    for (;;) {
      const next = this.idle.pop();
      if (!next) return this.open();
      if (next.alive) return next;
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
    let pooled: Pooled;
    try {
      pooled = await this.acquire();
    } catch (error) {
      return { dotReleased: false, abandoned: false, error: { code: "ECONNECTION", ...(error as object) } };
    }
    const { connection } = pooled;
    return new Promise<SmtpReply>((resolve) => {
      let dotReleased = false;
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
        resolve({ dotReleased, ...reply });
      };
      const onError = (error: SmtpReply["error"]) => settle({ abandoned: false, error });
      const onEnd = () =>
        settle({ abandoned: false, error: { code: "ECONNECTION", message: "connection closed" } });
      connection.once("error", onError);
      connection.once("end", onEnd);
      const message = new HeldMessage(raw, () => {
        // Refused before DATA: nodemailer drains the message into a sink after reporting the
        // error (already settled here); there is no dot to hold.
        if (settled) return;
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
        if (error) settle({ abandoned: false, error });
        else settle({ abandoned: false, response: String(info.response) });
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
