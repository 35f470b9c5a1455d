/**
 * The SMTP pool's hold on the final dot, against a real SMTP server (smtp-server): nothing is
 * delivered before the sender releases the dot, a declined or failed release delivers nothing,
 * and the connection keeps working for the next message.
 */
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
});
