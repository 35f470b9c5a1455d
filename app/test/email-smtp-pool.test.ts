/**
 * The SMTP pool's hold on the final dot, against a real SMTP server (smtp-server): nothing is
 * delivered before the sender releases the dot, a declined or failed release delivers nothing,
 * and the connection keeps working for the next message.
 */
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SmtpPool } from "../src/crm/email/smtp-pool.js";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.js";

let sink: SmtpSink;
let pool: SmtpPool;

beforeAll(async () => {
  sink = await startSmtpSink();
  pool = new SmtpPool({ host: "127.0.0.1", port: sink.port, secure: false });
});
afterAll(async () => {
  pool.close();
  await sink.close();
});

const raw = (id: string) =>
  Buffer.from(
    `From: a@pool.test\r\nTo: b@pool.test\r\nMessage-ID: <${id}@pool.test>\r\nSubject: hi\r\n\r\nbody\r\n`,
  );
const envelope = { from: "a@pool.test", to: "b@pool.test" };
const settle = () => new Promise((r) => setTimeout(r, 100));

describe("SmtpPool", () => {
  it("the server has nothing until the dot is released, then exactly the message", async () => {
    let receivedAtGate = -1;
    const reply = await pool.send(envelope, raw("held"), async (releaseDot) => {
      await settle(); // the whole body is at the server by now; only the dot is missing
      receivedAtGate = sink.counts.get("<held@pool.test>") ?? 0;
      releaseDot();
      return true;
    });
    expect(receivedAtGate).toBe(0);
    expect(reply).toMatchObject({ dotReleased: true, abandoned: false });
    expect(reply.error).toBeUndefined();
    expect(reply.response).toMatch(/^250/);
    expect(sink.counts.get("<held@pool.test>")).toBe(1);
  });

  it("declining at the dot closes the connection without it: nothing is delivered", async () => {
    const reply = await pool.send(envelope, raw("declined"), async () => false);
    expect(reply).toMatchObject({ dotReleased: false, abandoned: true });
    await settle();
    expect(sink.counts.get("<declined@pool.test>")).toBeUndefined();
  });

  it("a failure before the dot (the ledger unreachable) delivers nothing and is retryable", async () => {
    const reply = await pool.send(envelope, raw("failed"), async () => {
      throw new Error("database unreachable");
    });
    expect(reply).toMatchObject({ dotReleased: false, abandoned: false, error: { code: "EGATE" } });
    await settle();
    expect(sink.counts.get("<failed@pool.test>")).toBeUndefined();
  });

  it("keeps connections open across messages and opens new ones after a close", async () => {
    const before = sink.received.length;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.send(envelope, raw(`many-${i}`), async (releaseDot) => {
          releaseDot();
          return true;
        }),
      ),
    );
    expect(replies.every((r) => r.response?.startsWith("250"))).toBe(true);
    expect(sink.received.length - before).toBe(20);
  });

  it("a refused recipient is the server's answer, before any dot", async () => {
    sink.reject.add("nobody@pool.test");
    let gated = false;
    const reply = await pool.send(
      { from: "a@pool.test", to: "nobody@pool.test" },
      raw("refused"),
      async (r) => {
        gated = true;
        r();
        return true;
      },
    );
    expect(gated).toBe(false);
    expect(reply.dotReleased).toBe(false);
    expect(reply.error?.responseCode).toBe(550);
  });

  it("settles when the server closes before its greeting (no hang)", async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const closing = new SmtpPool({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      secure: false,
    });
    try {
      const reply = await closing.send(envelope, raw("closed"), async (releaseDot) => {
        releaseDot();
        return true;
      });
      expect(reply.dotReleased).toBe(false);
      expect(reply.error?.code).toBe("ECONNECTION");
      expect(reply.error?.message).toMatch(/closed/);
    } finally {
      closing.close();
      server.close();
    }
  });

  it("a server that answers before the message ended is never reused and nothing counts as sent", async () => {
    // A scripted server: a normal session, but a 250 right after its 354.
    let connections = 0;
    const received: string[] = [];
    const server = net.createServer((socket) => {
      connections++;
      let data = false;
      socket.write("220 early.test ESMTP\r\n");
      socket.on("data", (chunk) => {
        for (const line of chunk.toString("utf8").split("\r\n").filter(Boolean)) {
          if (data) {
            received.push(line);
            continue;
          }
          if (/^EHLO/i.test(line)) socket.write("250 early.test\r\n");
          else if (/^(MAIL|RCPT)/i.test(line)) socket.write("250 ok\r\n");
          else if (/^DATA/i.test(line)) {
            data = true;
            socket.write("354 go ahead\r\n250 early\r\n");
          } else if (/^QUIT/i.test(line)) socket.end("221 bye\r\n");
        }
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const early = new SmtpPool({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      secure: false,
    });
    try {
      const gate = async (releaseDot: () => void) => {
        await settle();
        releaseDot();
        return true;
      };
      const first = await early.send(envelope, raw("early-1"), gate);
      expect(first.error?.code).toBe("EPROTOCOL");
      expect(first.dotReleased).toBe(false);
      await early.send(envelope, raw("early-2"), gate);
      // The second message went over a new connection, not appended to the first one's data.
      expect(connections).toBe(2);
      expect(received.filter((l) => /^MAIL FROM/i.test(l))).toEqual([]);
    } finally {
      early.close();
      server.close();
    }
  });

  it("a kept-open connection the server closed meanwhile is replaced, not counted as a failure", async () => {
    const reused = new SmtpPool({ host: "127.0.0.1", port: sink.port, secure: false });
    try {
      const gate = async (releaseDot: () => void) => {
        releaseDot();
        return true;
      };
      expect((await reused.send(envelope, raw("stale-1"), gate)).response).toMatch(/^250/);
      // The server drops every connection it holds (as an idle timeout would).
      sink.dropConnections();
      // Sent in the same tick: the pool has not heard of the close yet and reuses the connection.
      const again = await reused.send(envelope, raw("stale-2"), gate);
      expect(again.error).toBeUndefined();
      expect(sink.counts.get("<stale-2@pool.test>")).toBe(1);
    } finally {
      reused.close();
    }
  });
});
