/**
 * Mail that comes back, over HTTP (`POST /api/v1/app/mail/inbound`), on PGlite: a bounce
 * report (RFC 3464) suppresses the failed address, the List-Unsubscribe mailto suppresses its
 * signer, a reply to a sent message records `email_replied` (an out-of-office does not), and
 * mail about messages we never sent changes nothing.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { createCampaign, materializeAudience } from "../src/crm/email/campaigns.js";
import { failedRecipients } from "../src/crm/email/inbound.js";
import { emailRoutes } from "../src/crm/email/routes.js";
import { isSuppressed, unsubscribeToken } from "../src/crm/email/suppression.js";
import { insertProspects } from "../src/crm/prospects.js";
import type { Workspace } from "../src/crm/workspaces.js";
import { openCrm, STORES, workspace } from "./helpers.js";

const pglite = STORES[0]!();

const dsn = (originalId: string, recipient: string, action: string, status: string) =>
  [
    "From: MAILER-DAEMON@mx.example.test",
    "To: sales@acme.test",
    "Subject: Undelivered Mail Returned to Sender",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    "",
    "--B",
    "Content-Type: text/plain",
    "",
    "Your message could not be delivered.",
    "--B",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.test",
    "",
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown",
    "",
    "--B",
    "Content-Type: text/rfc822-headers",
    "",
    `Message-ID: ${originalId}`,
    "Subject: News",
    "",
    "--B--",
    "",
  ].join("\r\n");

describe("inbound mail", () => {
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let server: RunningServer;
  let key: string;
  let ws: Workspace;
  let ids: Map<string, { messageId: string; prospectId: string }>;
  const post = async (raw: unknown, token = key) => {
    const res = await fetch(`${server.url}/api/v1/app/mail/inbound`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ raw }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    crm = await openCrm(pglite, false);
    server = await startServer({
      engine: crm.engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      appRoutes: emailRoutes,
    });
    key = (await createKey(crm.db, { name: "test" })).key;
    ws = await workspace(crm.db, "starter");
    await insertProspects(
      crm.db,
      ws.id,
      ["ann", "ben", "cat", "dan", "eve"].map((n) => ({ firstName: n, email: `${n}@x.test` })),
    );
    const c = await createCampaign(crm.db, {
      workspaceId: ws.id,
      name: "c",
      subject: "News",
      body: "b",
      audience: "all_leads",
    });
    await materializeAudience(crm.db, c, "acme.test");
    // As the sender leaves them: all sent but eve's (still pending: never sent).
    await crm.db.query(
      "update crm_send_ledger set state = 'sent', replied_at = now() where campaign_id = $1 and email <> 'eve@x.test'",
      [c.id],
    );
    const { rows } = await crm.db.query<{ email: string; message_id: string; prospect_id: string }>(
      "select email, message_id, prospect_id from crm_send_ledger where campaign_id = $1",
      [c.id],
    );
    ids = new Map(rows.map((r) => [r.email, { messageId: r.message_id, prospectId: r.prospect_id }]));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await crm?.close();
  });

  it("reads the failed recipients of a delivery-status report", () => {
    expect(
      failedRecipients(
        "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; A@x.test\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; b@x.test\nAction: delayed\nStatus: 4.4.1\n",
      ),
    ).toEqual(["a@x.test"]);
  });

  it("a bounce report suppresses the address as a bounce; a delay does not", async () => {
    const ann = ids.get("ann@x.test")!;
    const delayed = await post(dsn(ann.messageId, "ann@x.test", "delayed", "4.4.1"));
    expect(delayed.body).toMatchObject({ kind: "ignored" });
    expect(await isSuppressed(crm.db, ws.id, "ann@x.test")).toBeFalsy();
    const bounced = await post(dsn(ann.messageId, "ann@x.test", "failed", "5.1.1"));
    expect(bounced.body).toEqual({ kind: "bounce", workspaceId: ws.id, suppressed: ["ann@x.test"] });
    expect(await isSuppressed(crm.db, ws.id, "ann@x.test")).toBeTruthy();
    // A report naming other addresses than the one that message went to suppresses none of them.
    const forged = await post(dsn(ann.messageId, "cat@x.test", "failed", "5.1.1"));
    expect(forged.body.kind).toBe("ignored");
    expect(await isSuppressed(crm.db, ws.id, "cat@x.test")).toBeFalsy();
    const unsent = await post(dsn(ids.get("eve@x.test")!.messageId, "eve@x.test", "failed", "5.1.1"));
    expect(unsent.body.kind).toBe("ignored");
    const stranger = await post(dsn("<not-ours@else.test>", "zed@x.test", "failed", "5.1.1"));
    expect(stranger.body.kind).toBe("ignored");
    expect(await isSuppressed(crm.db, ws.id, "zed@x.test")).toBeFalsy();
  });

  it("the List-Unsubscribe mailto suppresses the address it was signed for", async () => {
    const token = await unsubscribeToken(crm.db, ws.id, "ben@x.test");
    const res = await post(
      `From: ben@x.test\r\nTo: unsubscribe@acme.test\r\nSubject: unsubscribe ${token}\r\n\r\n`,
    );
    expect(res.body).toEqual({ kind: "unsubscribe", workspaceId: ws.id, email: "ben@x.test" });
    expect(await isSuppressed(crm.db, ws.id, "ben@x.test")).toBeTruthy();
    const forged = await post(
      "From: x@x.test\r\nTo: unsubscribe@acme.test\r\nSubject: unsubscribe abc.def\r\n\r\n",
    );
    // Not our token (forged, or "unsubscribe please"): read as any other mail, suppresses nobody.
    expect(forged.body.kind).toBe("ignored");
  });

  it("a reply records email_replied for the lead; an out-of-office does not", async () => {
    const cat = ids.get("cat@x.test")!;
    const dan = ids.get("dan@x.test")!;
    const reply = await post(
      `From: cat@x.test\r\nTo: sales@acme.test\r\nSubject: Re: News\r\nIn-Reply-To: ${cat.messageId}\r\nReferences: ${cat.messageId}\r\n\r\nInterested!`,
    );
    expect(reply.body).toEqual({
      kind: "reply",
      workspaceId: ws.id,
      prospectId: cat.prospectId,
      inReplyTo: cat.messageId,
    });
    const ooo = await post(
      `From: dan@x.test\r\nTo: sales@acme.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: ${dan.messageId}\r\n\r\nAway`,
    );
    expect(ooo.body.kind).toBe("ignored");
    // Quoting a Message-ID from another mailbox is not the lead replying.
    const spoof = await post(
      `From: mallory@evil.test\r\nTo: sales@acme.test\r\nSubject: Re: News\r\nIn-Reply-To: ${dan.messageId}\r\n\r\nHi`,
    );
    expect(spoof.body.kind).toBe("ignored");
    const { rows } = await crm.db.query<{ prospect_id: string }>(
      "select prospect_id from crm_activities where workspace_id = $1 and kind = 'email_replied'",
      [ws.id],
    );
    expect(rows.map((r) => r.prospect_id)).toEqual([cat.prospectId]);
  });

  it("refuses an empty or malformed body, and public callers", async () => {
    expect((await post("   ")).body.code).toBe("INVALID_INPUT");
    expect((await post(42)).body.code).toBe("INVALID_INPUT");
    const res = await fetch(`${server.url}/api/v1/app/mail/inbound`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });
});
