/**
 * Campaigns managed over HTTP (`/api/v1/app/workspaces/:id/campaigns`), on PGlite with a real
 * SMTP server: bad input is refused with a code before anything exists; tokens are held to
 * their workspace; scheduling, moving the schedule and canceling; a campaign woken too late
 * fails instead of going out; an unknown outcome (the server dropped the connection after
 * the final dot) is listed and resolved by a person.
 */
import { runs } from "@mainspring/sdk";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { campaignRoutes } from "../src/crm/email/campaign-routes.js";
import { createCampaign, getCampaign } from "../src/crm/email/campaigns.js";
import { insertProspects } from "../src/crm/prospects.js";
import type { Workspace } from "../src/crm/workspaces.js";
import type { CrmDb } from "../src/db/store.js";
import { scheduleCampaignTask } from "../src/trigger/campaign-sender.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.js";

const pglite = STORES[0]!();

describe("campaigns over HTTP", () => {
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let db: CrmDb;
  let server: RunningServer;
  let sink: SmtpSink;
  let key: string;
  let a: Workspace;
  let b: Workspace;
  let readA: string;
  const env = { ...process.env };

  const call = async (method: string, path: string, body?: unknown, token = key) => {
    const res = await fetch(`${server.url}/api/v1/app/workspaces${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const newCampaign = async (ws: Workspace, name: string) =>
    createCampaign(db, {
      workspaceId: ws.id,
      name,
      subject: "News",
      body: "Hi {{name|there}}",
      audience: "all_leads",
    });

  beforeAll(async () => {
    sink = await startSmtpSink();
    process.env.SMTP_URL = sink.url;
    process.env.MAIL_FROM = "Acme <sales@acme.test>";
    process.env.MAINSPRING_PUBLIC_URL = "https://crm.acme.test";
    process.env.MAIL_RATE_LIMIT_ENTERPRISE = "0";
    crm = await openCrm(pglite);
    db = crm.db;
    server = await startServer({
      engine: crm.engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      appRoutes: campaignRoutes,
    });
    key = (await createKey(db, { name: "test" })).key;
    a = await workspace(db, "enterprise");
    b = await workspace(db, "enterprise");
    for (const [ws, domain] of [
      [a, "a.test"],
      [b, "b.test"],
    ] as const) {
      await insertProspects(
        db,
        ws.id,
        Array.from({ length: 5 }, (_, i) => ({ firstName: `P${i}`, email: `p${i}@${domain}` })),
      );
    }
    readA = await server.context.tokens.sign({
      sub: "t",
      scopes: [`read:tags:workspace:${a.id}`],
      expiresIn: "1h",
    });
  }, 120_000);
  afterAll(async () => {
    process.env = env;
    await server?.close();
    await crm?.close();
    await sink?.close();
  });

  it("creates and lists campaigns; bad input gets a code and creates nothing", async () => {
    const created = await call("POST", `/${a.id}/campaigns`, {
      name: "Launch",
      subject: "Hello {{first_name|there}}",
      body: "Hi {{name}}",
      audience: "all_leads",
    });
    expect(created.status).toBe(200);
    expect(created.body.campaign).toMatchObject({ name: "Launch", status: "draft" });
    const bad = [
      [{ name: "x", subject: "s", body: "b", audience: "everyone" }, "INVALID_INPUT"],
      [{ name: "x", subject: "s {{", body: "b", audience: "all_leads" }, "INVALID_TEMPLATE"],
      [{ subject: "s", body: "b", audience: "all_leads" }, "INVALID_INPUT"],
    ] as const;
    for (const [body, code] of bad) {
      const res = await call("POST", `/${a.id}/campaigns`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(code);
    }
    const list = await call("GET", `/${a.id}/campaigns`);
    expect(list.body.data.map((c: { name: string }) => c.name)).toEqual(["Launch"]);
    expect((await call("GET", `/${a.id}/campaigns/cmp_nope`)).body.code).toBe("CAMPAIGN_NOT_FOUND");
    expect((await call("GET", "/ws_nope/campaigns")).body.code).toBe("WORKSPACE_NOT_FOUND");
  });

  it("holds a token to its workspace, and a read token to reading", async () => {
    expect((await call("GET", `/${a.id}/campaigns`, undefined, readA)).status).toBe(200);
    expect((await call("GET", `/${b.id}/campaigns`, undefined, readA)).status).toBe(403);
    const c = await newCampaign(a, "Read only");
    const send = await call("POST", `/${a.id}/campaigns/${c.id}/send`, undefined, readA);
    expect(send.status).toBe(403);
    expect(send.body.code).toBe("FORBIDDEN");
    expect((await getCampaign(db, a.id, c.id)).status).toBe("draft");
  });

  it("schedules, moves the schedule later, and sends once at the new time", async () => {
    const c = await newCampaign(a, "Scheduled");
    const first = new Date(Date.now() + 1_500);
    const scheduled = await call("POST", `/${a.id}/campaigns/${c.id}/schedule`, {
      scheduledFor: first.toISOString(),
    });
    expect(scheduled.status).toBe(200);
    await waitFor(async () => (await getCampaign(db, a.id, c.id)).status === "scheduled", {
      what: "scheduled",
    });
    const later = new Date(Date.now() + 4_000);
    const moved = await call("POST", `/${a.id}/campaigns/${c.id}/schedule`, {
      scheduledFor: later.toISOString(),
    });
    expect(moved.status).toBe(200);
    expect((await runs.retrieve(scheduled.body.result.runId)).status).toBe("CANCELED");
    await new Promise((r) => setTimeout(r, first.getTime() - Date.now() + 1_000));
    expect((await getCampaign(db, a.id, c.id)).status).toBe("scheduled"); // not at the old time
    const done = await finished(moved.body.result.runId, 30_000);
    expect(done.output).toMatchObject({ status: "sending", sent: true });
    await waitFor(async () => (await getCampaign(db, a.id, c.id)).status === "sent", { what: "sent" });
    const view = await call("GET", `/${a.id}/campaigns/${c.id}`);
    expect(view.body.counts).toMatchObject({ sent: 5, total: 5 });
    const { rows } = await db.query<{ first: Date; message_id: string }>(
      "select min(claimed_at) over () as first, message_id from crm_send_ledger where campaign_id = $1",
      [c.id],
    );
    expect(rows[0]!.first.getTime()).toBeGreaterThanOrEqual(later.getTime() - 50);
    for (const r of rows) expect(sink.counts.get(r.message_id)).toBe(1);
  });

  it("a canceled schedule sends nothing; a past time is refused", async () => {
    const c = await newCampaign(a, "Canceled");
    const at = new Date(Date.now() + 1_500);
    const scheduled = await call("POST", `/${a.id}/campaigns/${c.id}/schedule`, {
      scheduledFor: at.toISOString(),
    });
    await waitFor(async () => (await getCampaign(db, a.id, c.id)).status === "scheduled", {
      what: "scheduled",
    });
    const canceled = await call("POST", `/${a.id}/campaigns/${c.id}/cancel`);
    expect(canceled.body.campaign.status).toBe("canceled");
    await new Promise((r) => setTimeout(r, at.getTime() - Date.now() + 1_000));
    expect((await runs.retrieve(scheduled.body.result.runId)).status).toBe("CANCELED");
    expect((await call("GET", `/${a.id}/campaigns/${c.id}`)).body.counts.total).toBe(0);
    const again = await call("POST", `/${a.id}/campaigns/${c.id}/send`);
    expect([again.status, again.body.code]).toEqual([409, "CAMPAIGN_STATE"]);
    const d = await newCampaign(a, "Past");
    const past = await call("POST", `/${a.id}/campaigns/${d.id}/schedule`, {
      scheduledFor: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect([past.status, past.body.code]).toEqual([400, "INVALID_INPUT"]);
  });

  it("a campaign woken later than CAMPAIGN_MAX_LATENESS_MINUTES fails with the reason, unsent", async () => {
    const c = await newCampaign(a, "Late");
    process.env.CAMPAIGN_MAX_LATENESS_MINUTES = "5";
    try {
      // What a process that was down from 10:00 to 10:20 finds: a schedule 20 minutes past.
      const run = await scheduleCampaignTask.trigger({
        campaignId: c.id,
        workspaceId: a.id,
        scheduledFor: new Date(Date.now() - 20 * 60_000).toISOString(),
      });
      const done = await finished(run.id);
      expect(done.output).toMatchObject({ status: "failed", sent: false });
      const after = await getCampaign(db, a.id, c.id);
      expect(after.status).toBe("failed");
      expect(after.statusReason).toMatch(/missed its schedule: woke 20 min after/);
      expect((await call("GET", `/${a.id}/campaigns/${c.id}`)).body.counts.total).toBe(0);
    } finally {
      delete process.env.CAMPAIGN_MAX_LATENESS_MINUTES;
    }
  });

  it("lists unknown outcomes and resolves them: sent, or resend (paused, then resumed)", async () => {
    const c = await newCampaign(b, "Dropped");
    const dropped = ["p1@b.test", "p3@b.test"];
    for (const e of dropped) sink.dropAfterData.add(e);
    try {
      const send = await call("POST", `/${b.id}/campaigns/${c.id}/send`);
      expect(send.status).toBe(200);
      await finished(send.body.result.runId, 30_000);
    } finally {
      sink.dropAfterData.clear();
    }
    const view = await call("GET", `/${b.id}/campaigns/${c.id}`);
    expect(view.body.counts).toMatchObject({ sent: 3, unknown: 2 });
    const unknown = await call("GET", `/${b.id}/campaigns/${c.id}/recipients?state=unknown`);
    expect(unknown.body.data.map((r: { email: string }) => r.email).sort()).toEqual(dropped);
    const [one, two] = unknown.body.data as Array<{ id: string; messageId: string }>;
    const bad = await call("POST", `/${b.id}/campaigns/${c.id}/recipients/${one!.id}/resolve`, {
      decision: "maybe",
    });
    expect([bad.status, bad.body.code]).toEqual([400, "INVALID_INPUT"]);
    const asSent = await call("POST", `/${b.id}/campaigns/${c.id}/recipients/${one!.id}/resolve`, {
      decision: "sent",
      by: "ops@acme.test",
    });
    expect(asSent.body.counts).toMatchObject({ sent: 4, unknown: 1 });
    const twice = await call("POST", `/${b.id}/campaigns/${c.id}/recipients/${one!.id}/resolve`, {
      decision: "sent",
    });
    expect([twice.status, twice.body.code]).toEqual([404, "RECIPIENT_NOT_FOUND"]);
    const resend = await call("POST", `/${b.id}/campaigns/${c.id}/recipients/${two!.id}/resolve`, {
      decision: "resend",
    });
    expect(resend.body.campaign.status).toBe("paused");
    expect(resend.body.counts).toMatchObject({ pending: 1 });
    const resumed = await call("POST", `/${b.id}/campaigns/${c.id}/resume`);
    await finished(resumed.body.result.runId, 30_000);
    const final = await call("GET", `/${b.id}/campaigns/${c.id}`);
    expect(final.body.campaign.status).toBe("sent");
    expect(final.body.counts).toMatchObject({ sent: 5, unknown: 0, pending: 0 });
    // A resend is a person's call: that server had taken the first copy too.
    expect(sink.counts.get(two!.messageId)).toBe(2);
    const badId = await call("POST", `/${b.id}/campaigns/${c.id}/recipients/x1/resolve`, {
      decision: "sent",
    });
    expect([badId.status, badId.body.code]).toEqual([404, "RECIPIENT_NOT_FOUND"]);
    const badCursor = await call("GET", `/${b.id}/campaigns/${c.id}/recipients?after=99999999999999999999`);
    expect([badCursor.status, badCursor.body.code]).toEqual([400, "INVALID_INPUT"]);
  });

  it("pages through recipients in id order, across ids of different lengths", async () => {
    const c3 = await workspace(db, "enterprise");
    await insertProspects(
      db,
      c3.id,
      Array.from({ length: 120 }, (_, i) => ({ firstName: `Q${i}`, email: `q${i}@c.test` })),
    );
    const c = await newCampaign(c3, "Paged");
    const send = await call("POST", `/${c3.id}/campaigns/${c.id}/send`);
    await finished(send.body.result.runId, 60_000);
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page = await call(
        "GET",
        `/${c3.id}/campaigns/${c.id}/recipients?limit=50${after ? `&after=${after}` : ""}`,
      );
      expect(page.status).toBe(200);
      ids.push(...page.body.data.map((r: { id: string }) => r.id));
      after = page.body.next;
    } while (after);
    // 120 rows whose ids cross a power of ten (text order put "100" before "99" and lost pages)
    expect(ids).toHaveLength(120);
    expect(ids.map(BigInt)).toEqual(ids.map(BigInt).sort((x, y) => (x < y ? -1 : 1)));
    expect(ids.some((id) => id.length !== ids[0]!.length)).toBe(true);
  });

  it("a server that refuses the sender pauses the campaign with its answer and suppresses nobody", async () => {
    const c = await createCampaign(db, {
      workspaceId: b.id,
      name: "Refused sender",
      subject: "News",
      body: "Hi",
      audience: "all_leads",
      fromAddress: "Nobody <nobody@elsewhere.test>",
    });
    sink.rejectSender.add("nobody@elsewhere.test");
    try {
      const send = await call("POST", `/${b.id}/campaigns/${c.id}/send`);
      const run = await finished(send.body.result.runId, 30_000);
      expect(run.output).toMatchObject({ status: "paused" });
    } finally {
      sink.rejectSender.clear();
    }
    const view = await call("GET", `/${b.id}/campaigns/${c.id}`);
    expect(view.body.campaign.status).toBe("paused");
    expect(view.body.campaign.statusReason).toMatch(/refused the sender: .*553/);
    expect(view.body.counts).toMatchObject({ pending: 5, sent: 0, failed: 0 });
    const { rows } = await db.query("select 1 from crm_suppressions where workspace_id = $1", [b.id]);
    expect(rows).toEqual([]);
  });
});
