/** Pure parts of CRM email: templates, delays, the pacer, SMTP error classification, SMTP_URL. */
import { describe, expect, it } from "vitest";
import { Pacer } from "../src/crm/email/rate.js";
import { parseDelay } from "../src/crm/email/sequences.js";
import type { SmtpReply } from "../src/crm/email/smtp-pool.js";
import { parseTemplate, renderTemplate } from "../src/crm/email/template.js";
import { classifySmtpFailure, smtpOptions } from "../src/crm/email/transport.js";

describe("templates", () => {
  it("renders variables and defaults; a missing required variable is reported, not rendered", () => {
    const t = parseTemplate("Hi {{ first_name | there }}, {{company}}!");
    expect(renderTemplate(t, { first_name: "Ada", company: "Acme" })).toEqual({
      ok: true,
      text: "Hi Ada, Acme!",
    });
    expect(renderTemplate(t, { first_name: "  ", company: "Acme" })).toEqual({
      ok: true,
      text: "Hi there, Acme!",
    });
    expect(renderTemplate(t, { first_name: "Ada" })).toEqual({ ok: false, missing: ["company"] });
    expect(renderTemplate(parseTemplate("no tags { } }}"), {})).toEqual({ ok: true, text: "no tags { } }}" });
  });
  it("rejects malformed tags", () => {
    for (const bad of ["Hi {{name", "{{}}", "{{ first name }}", "{{a|b{c}}"]) {
      expect(() => parseTemplate(bad), bad).toThrow(expect.objectContaining({ code: "INVALID_TEMPLATE" }));
    }
  });
});

describe("delays", () => {
  it("accepts a number and one unit, rejects the rest", () => {
    expect(parseDelay("0d")).toBe(0);
    expect(parseDelay("3d")).toBe(3 * 86_400_000);
    expect(parseDelay("2h")).toBe(7_200_000);
    expect(parseDelay("1.5m")).toBe(90_000);
    for (const bad of ["3 days", "-1d", "1y", "", "d", "1h30m"]) {
      expect(() => parseDelay(bad), bad).toThrow(expect.objectContaining({ code: "INVALID_DELAY" }));
    }
  });
});

describe("pacer", () => {
  it("keeps to the rate, and after a stall catches up by at most a tenth of a second's worth", async () => {
    const pacer = new Pacer(200); // 5 ms apart, burst 20
    const starts: number[] = [];
    const send = async () => {
      await pacer.next();
      starts.push(performance.now());
    };
    const t0 = performance.now();
    for (let i = 0; i < 41; i++) await send();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    await new Promise((r) => setTimeout(r, 300)); // fell behind by 60 messages
    const t1 = performance.now();
    for (let i = 0; i < 150; i++) await send();
    // Catching up the whole backlog would make these 150 take 90 intervals; a burst of 20 leaves 129.
    expect(performance.now() - t1).toBeGreaterThanOrEqual(129 * 5 - 5);
    // Any half second holds at most its 100 sends plus one burst of 20, whatever the event loop
    // did meanwhile (a stall on a loaded machine lets a burst through, never more). The 3 spare
    // are the window's first send and timers firing up to a millisecond early. Catching up the
    // whole backlog would put 150 in the half second after the stall.
    const windowMs = 500;
    const busiest = Math.max(...starts.map((s) => starts.filter((t) => t >= s && t < s + windowMs).length));
    expect(busiest).toBeLessThanOrEqual(windowMs / 5 + 20 + 3);
  });
});

describe("SMTP outcomes", () => {
  const failed = (error: SmtpReply["error"], dotReleased = false): SmtpReply => ({
    dotReleased,
    abandoned: false,
    error,
  });
  it("a reply code is the server's decision; no reply is unknown only after the final dot", () => {
    expect(
      classifySmtpFailure(failed({ responseCode: 550, command: "RCPT TO", response: "550 no such user" })),
    ).toMatchObject({ kind: "rejected", bounce: true });
    expect(classifySmtpFailure(failed({ responseCode: 554, command: "DATA" }, true))).toMatchObject({
      kind: "rejected",
      bounce: false,
    });
    expect(classifySmtpFailure(failed({ responseCode: 451, command: "DATA" }, true))).toMatchObject({
      kind: "retry",
    });
    expect(classifySmtpFailure(failed({ code: "ECONNECTION", command: "CONN" }))).toMatchObject({
      kind: "retry",
    });
    // The connection died in the middle of the body: the server has no dot, so no message.
    expect(classifySmtpFailure(failed({ code: "ESOCKET", message: "socket closed" }))).toMatchObject({
      kind: "retry",
    });
    expect(classifySmtpFailure(failed({ code: "ESOCKET", message: "socket closed" }, true))).toMatchObject({
      kind: "unknown",
    });
    expect(classifySmtpFailure({ dotReleased: false, abandoned: true })).toMatchObject({ kind: "abandoned" });
    // Only a refused address is a bounce; a refused sender or login is about our side.
    expect(
      classifySmtpFailure(failed({ responseCode: 552, command: "RCPT TO", response: "552 mailbox full" })),
    ).toMatchObject({ kind: "rejected", bounce: false });
    expect(
      classifySmtpFailure(failed({ responseCode: 554, command: "RCPT TO", response: "554 5.1.2 bad host" })),
    ).toMatchObject({ kind: "rejected", bounce: true });
    expect(
      classifySmtpFailure(failed({ responseCode: 553, command: "MAIL FROM", code: "EENVELOPE" })),
    ).toMatchObject({ kind: "blocked" });
    expect(
      classifySmtpFailure(failed({ responseCode: 535, command: "AUTH PLAIN", code: "EAUTH" })),
    ).toMatchObject({
      kind: "blocked",
    });
    expect(
      classifySmtpFailure(failed({ responseCode: 554, command: "CONN", code: "ECONNECTION" })),
    ).toMatchObject({
      kind: "blocked",
    });
  });
  it("parses SMTP_URL", () => {
    expect(smtpOptions("smtp://u%40x:p%3Aw@mail.example.com:2525")).toEqual({
      host: "mail.example.com",
      port: 2525,
      secure: false,
      auth: { user: "u@x", pass: "p:w" },
    });
    expect(smtpOptions("smtps://mail.example.com")).toMatchObject({ port: 465, secure: true });
    expect(() => smtpOptions("http://x")).toThrow(expect.objectContaining({ code: "MAIL_CONFIG_INVALID" }));
  });
});
