/**
 * The CRM's read views over HTTP (`/api/v1/app/workspaces/...`), on PGlite: leads with their
 * score breakdown and history, the local mailbox with headers, agents, documents; a token
 * reads only its own workspace, and bad queries get a code.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { createDocuments } from "../src/crm/documents.js";
import { createCampaign, materializeAudience } from "../src/crm/email/campaigns.js";
import { deliverLocally, pendingPage } from "../src/crm/email/ledger.js";
import { insertProspects } from "../src/crm/prospects.js";
import { scoreProspect } from "../src/crm/scoring/store.js";
import { viewRoutes } from "../src/crm/views/routes.js";
import type { Workspace } from "../src/crm/workspaces.js";
import { openCrm, STORES, workspace } from "./helpers.js";

const pglite = STORES[0]!();

describe("CRM views over HTTP", () => {
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let server: RunningServer;
  let key: string;
  let a: Workspace;
  let b: Workspace;
  let readA: string;
  let prospectId: string;
  const get = async (path: string, token = key) => {
    const res = await fetch(`${server.url}/api/v1/app${path}`, {
      headers: { authorization: `Bearer ${token}` },
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
      appRoutes: viewRoutes,
    });
    key = (await createKey(crm.db, { name: "test" })).key;
    a = await workspace(crm.db, "professional");
    b = await workspace(crm.db, "starter");
    const ids = await insertProspects(crm.db, a.id, [
      {
        firstName: "Ada",
        lastName: "Lovelace",
        email: "ada@a.test",
        company: "Engines",
        jobTitle: "CTO",
        stage: "qualified",
      },
      { firstName: "Bob", email: "bob@a.test", company: "Bobco" },
    ]);
    prospectId = ids[0]!;
    await scoreProspect(crm.db, { workspaceId: a.id, prospectId });
    await scoreProspect(crm.db, { workspaceId: a.id, prospectId: prospectId! });
    await createDocuments(crm.db, a.id, [{ title: "Pricing", content: "Our plans." }]);
    // One message in the local mailbox, as the default transport stores it.
    const c = await createCampaign(crm.db, {
      workspaceId: a.id,
      name: "c",
      subject: "s",
      body: "b",
      audience: "all_leads",
    });
    await materializeAudience(crm.db, c, "a.test");
    const [row] = await pendingPage(crm.db, c.id, "0", 1);
    await crm.db.query(
      "update crm_send_ledger set state = 'sending', attempt_id = 'att' where id = $1::bigint",
      [row!.id],
    );
    await deliverLocally(crm.db, row!, "att", {
      to: row!.email,
      subject: "Hello",
      raw: `Message-ID: ${row!.messageId}\r\nSubject: Hello\r\nList-Unsubscribe: <https://x/u>,\r\n <mailto:u@a.test>\r\n\r\nHi there`,
    });
    readA = await server.context.tokens.sign({
      sub: "t",
      scopes: [`read:tags:workspace:${a.id}`],
      expiresIn: "1h",
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await crm?.close();
  });

  it("lists leads by score and shows one with its breakdown and history", async () => {
    const list = await get(`/workspaces/${a.id}/prospects`);
    expect(list.status).toBe(200);
    expect(list.body.data[0]).toMatchObject({ id: prospectId, firstName: "Ada" });
    expect(list.body.data[0].score).toBeGreaterThan(0);
    expect(
      (await get(`/workspaces/${a.id}/prospects?q=bobco`)).body.data.map((p: any) => p.firstName),
    ).toEqual(["Bob"]);
    expect((await get(`/workspaces/${a.id}/prospects?stage=won`)).body.data).toEqual([]);
    const one = await get(`/workspaces/${a.id}/prospects/${prospectId}`);
    expect(one.body.prospect.breakdown).toBeTruthy();
    expect(one.body.history).toHaveLength(2);
    expect(one.body.history[0].score).toBe(one.body.prospect.score);
    const missing = await get(`/workspaces/${a.id}/prospects/nope`);
    expect([missing.status, missing.body.code]).toEqual([404, "PROSPECT_NOT_FOUND"]);
    const bad = await get(`/workspaces/${a.id}/prospects?stage=famous`);
    expect([bad.status, bad.body.code]).toEqual([400, "INVALID_INPUT"]);
  });

  it("shows the mailbox with each message's headers unfolded", async () => {
    const list = await get(`/workspaces/${a.id}/mailbox`);
    expect(list.body.data).toHaveLength(1);
    const msg = await get(`/workspaces/${a.id}/mailbox/${list.body.data[0].id}`);
    expect(msg.body.headers).toContainEqual({
      name: "List-Unsubscribe",
      value: "<https://x/u>, <mailto:u@a.test>",
    });
    expect(msg.body.body).toBe("Hi there");
    expect((await get(`/workspaces/${b.id}/mailbox/${list.body.data[0].id}`)).body.code).toBe(
      "MESSAGE_NOT_FOUND",
    );
  });
  it("lists the newest messages first, across ids of different lengths", async () => {
    await crm.db.query(
      `insert into crm_mailbox (workspace_id, message_id, transport, to_address, subject, raw)
       select $1, '<m' || n || '@b.test>', 'local', 'x@b.test', 'message ' || n, 'Subject: m'
       from generate_series(1, 120) as n`,
      [b.id],
    );
    const list = await get(`/workspaces/${b.id}/mailbox?limit=5`);
    // text order would have put an id like "99" above "120"
    expect(list.body.data.map((m: { subject: string }) => m.subject)).toEqual([
      "message 120",
      "message 119",
      "message 118",
      "message 117",
      "message 116",
    ]);
  });

  it("lists documents with their index status, and agents", async () => {
    expect((await get(`/workspaces/${a.id}/documents`)).body.data).toMatchObject([
      { title: "Pricing", status: "pending" },
    ]);
    expect((await get(`/workspaces/${a.id}/agents`)).body).toEqual({ agents: [], executions: [] });
  });

  it("holds a token to its workspace", async () => {
    expect((await get(`/workspaces/${a.id}/prospects`, readA)).status).toBe(200);
    const other = await get(`/workspaces/${b.id}/prospects`, readA);
    expect([other.status, other.body.code]).toEqual([403, "FORBIDDEN"]);
    expect((await get("/workspaces", readA)).body.data.map((w: Workspace) => w.id)).toEqual([a.id]);
    expect((await get("/workspaces")).body.data.length).toBeGreaterThanOrEqual(2);
  });
});
