/**
 * Campaigns on both stores, in process, against a real SMTP server (smtp-server): every
 * recipient once with a deterministic Message-ID, the RFC 8058 headers, suppression checked
 * at send time, hard bounces suppressed, template variables, the local mailbox transport,
 * the approval hook (a wait token), pause/resume, and bad input failing before any send.
 */
import { runs, wait } from "@mainspring/sdk";
import { type ParsedMail, simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelCampaign, createCampaign, getCampaign, pauseCampaign } from "../src/crm/email/campaigns.js";
import { campaignMessageId } from "../src/crm/email/ledger.js";
import { campaignProgress } from "../src/crm/email/progress.js";
import { unsubscribeRoute } from "../src/crm/email/routes.js";
import { suppress } from "../src/crm/email/suppression.js";
import { insertProspects } from "../src/crm/prospects.js";
import type { CrmDb } from "../src/db/store.js";
import { campaignSendOptions, resumeCampaign, sendCampaignTask } from "../src/trigger/campaign-sender.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.js";

/** The header as written (mailparser folds List-* headers into `list`). */
const rawHeader = (p: ParsedMail, key: string) =>
  p.headerLines
    .find((h) => h.key === key)
    ?.line.replace(/\r?\n\s+/g, " ")
    .replace(/^[^:]+:\s*/, "");

const ledger = async (db: CrmDb, campaignId: string) =>
  (
    await db.query<{ email: string; state: string; message_id: string; detail: string | null }>(
      "select email, state, message_id, detail from crm_send_ledger where campaign_id = $1 order by email",
      [campaignId],
    )
  ).rows;

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`campaigns on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;
    let sink: SmtpSink;
    const env = { ...process.env };

    beforeAll(async () => {
      sink = await startSmtpSink();
      process.env.SMTP_URL = sink.url;
      process.env.MAIL_FROM = "Acme Sales <sales@acme.test>";
      process.env.MAINSPRING_PUBLIC_URL = "https://crm.acme.test";
      process.env.MAIL_RATE_LIMIT_ENTERPRISE = "0";
      process.env.MAIL_RATE_LIMIT_FREE = "20";
      ({ db, close } = await openCrm(store));
    });
    afterAll(async () => {
      process.env = env;
      await close?.();
      await sink?.close();
    });

    it("sends each address once, with RFC 8058 headers; suppressed and bounced addresses get nothing", async () => {
      const ws = await workspace(db, "enterprise");
      const leads = Array.from({ length: 40 }, (_, i) => ({
        firstName: i % 5 === 0 ? null : `Lead${i}`,
        email: `lead${i}@example.test`,
        company: i % 7 === 3 ? null : `Co ${i}`,
        stage: "new" as const,
      }));
      leads.push({ firstName: "Dup", email: "LEAD1@example.test ", company: "Dup", stage: "new" });
      leads.push({ firstName: "NoMail", email: "", company: "x", stage: "new" } as never);
      await insertProspects(db, ws.id, leads);
      await suppress(db, { workspaceId: ws.id, email: "lead2@example.test", reason: "unsubscribe" });
      sink.reject.add("lead4@example.test");
      const campaign = await createCampaign(db, {
        workspaceId: ws.id,
        name: "Launch",
        subject: "Hi {{first_name|there}}",
        body: "Hello {{first_name|there}} at {{company}},\nour launch is today.",
        audience: "all_leads",
      });
      const before = sink.received.length;
      const handle = await sendCampaignTask.trigger(
        { campaignId: campaign.id, workspaceId: ws.id },
        campaignSendOptions(ws.id, ws.tier, campaign.id),
      );
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      // The seed's idempotency key: a second trigger is the same run.
      const again = await sendCampaignTask.trigger(
        { campaignId: campaign.id, workspaceId: ws.id },
        campaignSendOptions(ws.id, ws.tier, campaign.id),
      );
      expect(again.id).toBe(handle.id);

      const rows = await ledger(db, campaign.id);
      expect(rows).toHaveLength(40); // the duplicate address and the lead without one are not recipients
      const byState = (s: string) => rows.filter((r) => r.state === s).map((r) => r.email);
      expect(byState("suppressed")).toEqual(["lead2@example.test"]);
      expect(byState("failed")).toEqual(["lead4@example.test"]);
      // {{company}} has no default: leads 3, 10, 17, 24, 31, 38 lack it and are skipped, with the reason.
      expect(byState("skipped").sort()).toEqual(
        [3, 10, 17, 24, 31, 38].map((i) => `lead${i}@example.test`).sort(),
      );
      expect(rows.find((r) => r.email === "lead3@example.test")?.detail).toContain("company");
      expect(byState("sent")).toHaveLength(40 - 1 - 1 - 6);
      expect(run.output).toMatchObject({
        status: "sent",
        counts: { sent: 32, suppressed: 1, failed: 1, skipped: 6 },
      });

      const got = sink.received.slice(before);
      expect(got).toHaveLength(32);
      for (const r of rows.filter((x) => x.state === "sent")) {
        expect(sink.counts.get(r.message_id)).toBe(1);
        expect(r.message_id).toBe(campaignMessageId(campaign.id, r.email, "acme.test"));
      }
      for (const email of ["lead2@example.test", "lead4@example.test", "lead3@example.test"]) {
        expect(got.some((m) => m.to.includes(email))).toBe(false);
      }
      // The bounce is on the suppression list now.
      const sup = await db.query<{ email: string; reason: string }>(
        "select email, reason from crm_suppressions where workspace_id = $1 order by email",
        [ws.id],
      );
      expect(sup.rows).toEqual([
        { email: "lead2@example.test", reason: "unsubscribe" },
        { email: "lead4@example.test", reason: "bounce" },
      ]);

      // Every message parses, with both RFC 8058 headers and the rendered template.
      const mail0 = got.find((m) => m.to.includes("lead0@example.test"))!;
      const parsed = await simpleParser(mail0.raw!);
      expect(parsed.subject).toBe("Hi there");
      expect(parsed.text).toContain("Hello there at Co 0,");
      expect(parsed.messageId).toBe(campaignMessageId(campaign.id, "lead0@example.test", "acme.test"));
      expect(rawHeader(parsed, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
      const listUnsub = (
        parsed.headers.get("list") as unknown as { unsubscribe: { url: string; mail: string } }
      ).unsubscribe;
      expect(rawHeader(parsed, "list-unsubscribe")).toBe(`<${listUnsub.url}>, <mailto:${listUnsub.mail}>`);
      expect(listUnsub.url).toMatch(/^https:\/\/crm\.acme\.test\/app\/unsubscribe\/[\w-]+\.[\w-]+$/);
      expect(listUnsub.mail).toMatch(/^unsubscribe@acme\.test\?subject=unsubscribe/);
      for (const m of got) {
        const p = await simpleParser(m.raw!);
        expect(rawHeader(p, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
        expect(rawHeader(p, "list-unsubscribe")).toMatch(
          /^<https:\/\/crm\.acme\.test\/app\/unsubscribe\/.+>, <mailto:.+>$/,
        );
      }

      // One-click: the POST body RFC 8058 prescribes; the address is suppressed for the workspace.
      const token = listUnsub.url.split("/").pop()!;
      expect(
        await unsubscribeRoute.handler({
          params: { token },
          query: {},
          body: undefined,
          rawBody: "List-Unsubscribe=One-Click",
          auth: { kind: "anonymous", can: () => false },
        }),
      ).toEqual({ unsubscribed: true, email: "lead0@example.test" });
      await expect(
        unsubscribeRoute.handler({
          params: { token: `${token.slice(0, -2)}xx` },
          query: {},
          body: undefined,
          auth: { kind: "anonymous", can: () => false },
        }),
      ).rejects.toMatchObject({ code: "UNSUBSCRIBE_LINK_INVALID" });
      // A second campaign to the same audience: lead0 is now suppressed at send time.
      const second = await createCampaign(db, {
        workspaceId: ws.id,
        name: "Follow-up",
        subject: "Again",
        body: "Hi {{name|there}}",
        audience: "all_leads",
      });
      const run2 = await finished(
        (
          await sendCampaignTask.trigger(
            { campaignId: second.id, workspaceId: ws.id },
            campaignSendOptions(ws.id, ws.tier, second.id),
          )
        ).id,
      );
      expect(run2.output).toMatchObject({ counts: { suppressed: 3, sent: 37 } });
      const rows2 = await ledger(db, second.id);
      expect(rows2.filter((r) => r.state === "suppressed").map((r) => r.email)).toEqual([
        "lead0@example.test",
        "lead2@example.test",
        "lead4@example.test",
      ]);
      // Progress went out on campaignProgressStream, ending with the final counts.
      const chunks = [];
      for await (const c of await campaignProgress.read(run2.id, { timeoutInSeconds: 5 })) chunks.push(c);
      expect(chunks.at(-1)).toMatchObject({ status: "sent", sent: 37, suppressed: 3, fraction: 1 });
      expect((await getCampaign(db, ws.id, second.id)).status).toBe("sent");
    });

    it("rejects bad input before sending anything", async () => {
      const ws = await workspace(db, "enterprise");
      await expect(
        createCampaign(db, {
          workspaceId: ws.id,
          name: "x",
          subject: "Hi {{name",
          body: "b",
          audience: "all_leads",
        }),
      ).rejects.toMatchObject({ code: "INVALID_TEMPLATE" });
      await expect(
        createCampaign(db, {
          workspaceId: ws.id,
          name: "x",
          subject: "s",
          body: "{{ na-me }}",
          audience: "all_leads",
        }),
      ).rejects.toMatchObject({ code: "INVALID_TEMPLATE" });
      const unknown = await finished(
        (await sendCampaignTask.trigger({ campaignId: "cmp_nope", workspaceId: ws.id })).id,
      );
      expect(unknown.status).toBe("FAILED");
      expect(unknown.error?.code).toBe("CAMPAIGN_NOT_FOUND");
      expect(unknown.attemptCount).toBe(1);
      const empty = await createCampaign(db, {
        workspaceId: ws.id,
        name: "Nobody",
        subject: "s",
        body: "b",
        audience: "qualified_leads",
      });
      const run = await finished(
        (await sendCampaignTask.trigger({ campaignId: empty.id, workspaceId: ws.id })).id,
      );
      expect(run.error?.code).toBe("AUDIENCE_EMPTY");
      expect((await getCampaign(db, ws.id, empty.id)).status).toBe("failed");
    });

    it("waits for approval above the threshold (a wait token), then sends; pause and resume", async () => {
      process.env.CAMPAIGN_APPROVAL_THRESHOLD = "10";
      try {
        const ws = await workspace(db, "free");
        await insertProspects(
          db,
          ws.id,
          Array.from({ length: 30 }, (_, i) => ({
            email: `p${i}@example.test`,
            stage: "qualified" as const,
          })),
        );
        const c = await createCampaign(db, {
          workspaceId: ws.id,
          name: "Big",
          subject: "s",
          body: "Hi {{name|there}}",
          audience: "qualified_leads",
        });
        const handle = await sendCampaignTask.trigger(
          { campaignId: c.id, workspaceId: ws.id },
          campaignSendOptions(ws.id, ws.tier, c.id),
        );
        await waitFor(async () => (await getCampaign(db, ws.id, c.id)).status === "awaiting_approval", {
          what: "the approval request",
        });
        await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", { what: "WAITING" });
        const approval = (
          await db.query<{ token_id: string; status: string }>(
            "select token_id, status from crm_approvals where workspace_id = $1 and entity_id = $2",
            [ws.id, c.id],
          )
        ).rows[0]!;
        expect(approval.status).toBe("pending");
        expect(await ledger(db, c.id)).toHaveLength(0); // nothing sent, nothing even listed
        await wait.completeToken(approval.token_id, { approved: true, decidedBy: "lead@acme.test" });
        // The free tier sends 20 messages/s here: pause after the first few.
        await waitFor(async () => (await ledger(db, c.id)).filter((r) => r.state === "sent").length >= 3, {
          what: "first sends",
        });
        await pauseCampaign(db, ws.id, c.id);
        const paused = await finished(handle.id);
        expect(paused.output).toMatchObject({ status: "paused" });
        const sentAtPause = (await ledger(db, c.id)).filter((r) => r.state === "sent").length;
        expect(sentAtPause).toBeLessThan(30);
        const resumed = await finished((await resumeCampaign(ws.id, c.id)).id);
        expect(resumed.output).toMatchObject({
          status: "sent",
          counts: { sent: 30, pending: 0, unknown: 0 },
        });
        for (const r of await ledger(db, c.id)) expect(sink.counts.get(r.message_id)).toBe(1);
        // The pace held the free tier's limit here (20/s) in each sender run: n messages
        // claimed by one attempt span at least (n - 1 - burst) / 20 seconds (burst: 2, a
        // tenth of a second's worth that a sender which fell behind may catch up).
        const paces = await db.query<{ n: number; s: number }>(
          `select count(*)::int as n, extract(epoch from max(claimed_at) - min(claimed_at))::float8 as s
           from crm_send_ledger where campaign_id = $1 group by attempt_id`,
          [c.id],
        );
        expect(paces.rows).toHaveLength(2);
        for (const p of paces.rows) expect(p.s).toBeGreaterThanOrEqual((p.n - 1 - 2) / 20);
        const approved = await db.query<{ status: string; decided_by: string }>(
          "select status, decided_by from crm_approvals where entity_id = $1",
          [c.id],
        );
        expect(approved.rows[0]).toEqual({ status: "approved", decided_by: "lead@acme.test" });
        // A sent campaign cannot be canceled.
        await expect(cancelCampaign(db, ws.id, c.id)).rejects.toMatchObject({ code: "CAMPAIGN_STATE" });
      } finally {
        delete process.env.CAMPAIGN_APPROVAL_THRESHOLD;
      }
    });

    it("without SMTP_URL, delivers to the local mailbox in the transaction that marks the row sent", async () => {
      delete process.env.SMTP_URL;
      try {
        const ws = await workspace(db, "enterprise");
        await insertProspects(db, ws.id, [
          { email: "a@example.test", firstName: "Ada" },
          { email: "b@example.test", firstName: "Bob" },
        ]);
        const c = await createCampaign(db, {
          workspaceId: ws.id,
          name: "Local",
          subject: "Hello {{first_name}}",
          body: "Hi",
          audience: "new_leads",
        });
        const before = sink.received.length;
        const run = await finished(
          (
            await sendCampaignTask.trigger(
              { campaignId: c.id, workspaceId: ws.id },
              campaignSendOptions(ws.id, ws.tier, c.id),
            )
          ).id,
        );
        expect(run.output).toMatchObject({ counts: { sent: 2 } });
        expect(sink.received.length).toBe(before);
        const box = await db.query<{ to_address: string; subject: string; raw: string; message_id: string }>(
          "select to_address, subject, raw, message_id from crm_mailbox where workspace_id = $1 order by to_address",
          [ws.id],
        );
        expect(box.rows.map((r) => [r.to_address, r.subject])).toEqual([
          ["a@example.test", "Hello Ada"],
          ["b@example.test", "Hello Bob"],
        ]);
        const parsed = await simpleParser(box.rows[0]!.raw);
        expect(parsed.messageId).toBe(box.rows[0]!.message_id);
        expect(rawHeader(parsed, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
      } finally {
        process.env.SMTP_URL = sink.url;
      }
    });
  });
}
