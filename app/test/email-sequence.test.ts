/**
 * Follow-up sequences on both stores, against a real SMTP server: a reply recorded (through
 * the app route) after step 1 stops steps 2 and 3; a step missing a required variable is
 * skipped with the reason; bad delays and templates fail before anything is sent; and a
 * restart of the engine during a delay changes nothing (each step once, not before its time).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine } from "@mainspring/engine";
import { runs } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchema, dropSchema, TEST_DATABASE_URL } from "../../packages/engine/test/helpers.js";
import { recordActivityRoute } from "../src/crm/email/routes.js";
import { insertProspects } from "../src/crm/prospects.js";
import { setupCrm } from "../src/crm/setup.js";
import { type CrmDb, unbindCrmStore } from "../src/db/store.js";
import { executeFollowUpSequenceTask, sendDelayedFollowUpTask } from "../src/trigger/follow-up-sequence.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.js";

const secret = { kind: "secret" as const, can: () => true };
let sink: SmtpSink;
const env = { ...process.env };

beforeAll(async () => {
  sink = await startSmtpSink();
  process.env.SMTP_URL = sink.url;
  process.env.MAIL_FROM = "Sales <sales@seq.test>";
  process.env.MAINSPRING_PUBLIC_URL = "https://crm.seq.test";
});
afterAll(async () => {
  process.env = env;
  await sink?.close();
});

const to = (email: string) => sink.received.filter((m) => m.to.includes(email));

const STEPS = (d2: string, d3: string) => [
  {
    stepNumber: 1,
    delay: "0d",
    type: "email" as const,
    subject: "Welcome {{first_name|there}}",
    body: "Hi {{name|there}}",
  },
  {
    stepNumber: 2,
    delay: d2,
    type: "email" as const,
    subject: "Getting started",
    body: "Hi {{first_name|there}}",
  },
  {
    stepNumber: 3,
    delay: d3,
    type: "email" as const,
    subject: "Tips & tricks",
    body: "Hi {{first_name|there}}",
  },
];

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`follow-up sequences on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await openCrm(store));
    });
    afterAll(() => close?.());

    it("a reply recorded after step 1 stops steps 2 and 3", async () => {
      const ws = await workspace(db, "starter");
      const [prospectId] = await insertProspects(db, ws.id, [
        { firstName: "Ada", lastName: "L", email: `ada-${store.name}@seq.test` },
      ]);
      const handle = await executeFollowUpSequenceTask.trigger({
        workspaceId: ws.id,
        prospectId: prospectId!,
        sequenceId: "seq-welcome",
        sequenceName: "Welcome Series",
        triggeredBy: "user-1",
        steps: STEPS("3s", "5s"),
      });
      const email = `ada-${store.name}@seq.test`;
      await waitFor(() => to(email).length === 1, { what: "step 1" });
      await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", { what: "the delay" });
      await recordActivityRoute.handler({
        params: { workspaceId: ws.id, prospectId: prospectId! },
        query: {},
        body: { kind: "email_replied" },
        auth: secret,
      });
      const run = await finished(handle.id);
      expect(run.output).toMatchObject({ status: "stopped", reason: "replied" });
      expect(to(email)).toHaveLength(1);
      expect(to(email)[0]!.raw).toContain("Subject: Welcome Ada");
      const rows = await db.query<{ step_number: number; state: string; detail: string }>(
        `select l.step_number, l.state, l.detail from crm_send_ledger l
         join crm_sequence_enrollments e on e.id = l.enrollment_id where e.run_id = $1 order by step_number`,
        [handle.id],
      );
      expect(rows.rows.map((r) => [r.step_number, r.state])).toEqual([
        [1, "sent"],
        [2, "skipped"],
      ]);
      expect(rows.rows[1]!.detail).toBe("sequence stopped: replied");
      const enr = await db.query<{ status: string; stop_reason: string }>(
        "select status, stop_reason from crm_sequence_enrollments where run_id = $1",
        [handle.id],
      );
      expect(enr.rows[0]).toEqual({ status: "stopped", stop_reason: "replied" });
    });

    it("skips a step missing a required variable, sends the rest; a delayed follow-up sends once", async () => {
      const ws = await workspace(db, "starter");
      const email = `bob-${store.name}@seq.test`;
      const [prospectId] = await insertProspects(db, ws.id, [{ firstName: "Bob", email }]);
      const run = await finished(
        (
          await executeFollowUpSequenceTask.trigger({
            workspaceId: ws.id,
            prospectId: prospectId!,
            sequenceId: "seq-2",
            steps: [
              { stepNumber: 1, delay: "0d", type: "email", subject: "About {{company}}", body: "x" },
              { stepNumber: 2, delay: "1s", type: "email", subject: "Hi {{first_name}}", body: "y" },
            ],
          })
        ).id,
      );
      expect(run.output).toMatchObject({
        status: "completed",
        steps: [
          { step: 1, result: "skipped", detail: "missing template variable(s): company" },
          { step: 2, result: "sent" },
        ],
      });
      expect(to(email).map((m) => /Subject: (.*)/.exec(m.raw!)?.[1])).toEqual(["Hi Bob"]);
      const followUp = await finished(
        (
          await sendDelayedFollowUpTask.trigger({
            workspaceId: ws.id,
            prospectId: prospectId!,
            delay: "1s",
            subject: "Following up",
            body: "Hi {{name}}, just checking in...",
            triggeredBy: "user-1",
          })
        ).id,
      );
      expect(followUp.output).toMatchObject({ status: "completed", steps: [{ step: 1, result: "sent" }] });
      expect(to(email)).toHaveLength(2);
    });

    it("rejects invalid delays, templates and prospects before sending anything", async () => {
      const ws = await workspace(db, "starter");
      const [prospectId] = await insertProspects(db, ws.id, [
        { firstName: "Cy", email: `cy-${store.name}@seq.test` },
      ]);
      const bad = async (steps: ReturnType<typeof STEPS>, pid = prospectId!) =>
        finished(
          (
            await executeFollowUpSequenceTask.trigger({
              workspaceId: ws.id,
              prospectId: pid,
              sequenceId: "s",
              steps,
            })
          ).id,
        );
      const delay = await bad([{ ...STEPS("1d", "2d")[0]!, delay: "3 days" }]);
      expect(delay.error?.code).toBe("INVALID_DELAY");
      expect(delay.attemptCount).toBe(1);
      const template = await bad([
        STEPS("1d", "2d")[0]!,
        { ...STEPS("1d", "2d")[1]!, body: "Hi {{first name}}" },
      ]);
      expect(template.error?.code).toBe("INVALID_TEMPLATE");
      const prospect = await bad(STEPS("1d", "2d"), "pr_nope");
      expect(prospect.error?.code).toBe("PROSPECT_NOT_FOUND");
      expect(to(`cy-${store.name}@seq.test`)).toHaveLength(0);
      const n = await db.query<{ n: number }>(
        "select count(*)::int as n from crm_send_ledger where workspace_id = $1",
        [ws.id],
      );
      expect(n.rows[0]!.n).toBe(0);
    });
  });
}

describe("a restart during a delay changes nothing", () => {
  for (const kind of ["postgres", "pglite"] as const) {
    it(`on ${kind}`, async () => {
      const schema = kind === "postgres" ? await createSchema() : undefined;
      const dir = kind === "pglite" ? mkdtempSync(join(tmpdir(), "ms-seq-")) : undefined;
      const open = async () => {
        const engine = await startEngine({
          ...(kind === "postgres" ? { databaseUrl: TEST_DATABASE_URL, schema } : { dataDir: dir }),
          worker: { concurrency: 5, pollIntervalMs: 100 },
          maintenance: { intervalMs: 100, rescueIntervalMs: 500 },
        });
        await setupCrm(engine.db, { log: () => {} });
        return engine;
      };
      try {
        let engine = await open();
        const ws = await workspace(engine.db, "starter");
        const email = `dee-${kind}@seq.test`;
        const [prospectId] = await insertProspects(engine.db, ws.id, [{ firstName: "Dee", email }]);
        const handle = await executeFollowUpSequenceTask.trigger({
          workspaceId: ws.id,
          prospectId: prospectId!,
          sequenceId: "seq-restart",
          steps: STEPS("3s", "4s"),
        });
        await waitFor(() => to(email).length === 1, { what: "step 1" });
        await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", {
          what: "the delay",
        });
        const started = (
          await engine.db.query<{ t: number }>(
            "select (extract(epoch from started_at) * 1000)::float8 as t from crm_sequence_enrollments where run_id = $1",
            [handle.id],
          )
        ).rows[0]!.t;
        await engine.stop(1000);
        unbindCrmStore(engine.db);
        engine = await open();
        try {
          const run = await finished(handle.id, 30_000);
          expect(run.output).toMatchObject({ status: "completed" });
          const got = to(email);
          expect(got.map((m) => /Subject: (.*)/.exec(m.raw!)?.[1])).toEqual([
            "Welcome Dee",
            "Getting started",
            "Tips & tricks",
          ]);
          expect(new Set(got.map((m) => m.messageId)).size).toBe(3);
          const sentAt = await engine.db.query<{ step_number: number; t: number }>(
            `select l.step_number, (extract(epoch from l.finished_at) * 1000)::float8 as t from crm_send_ledger l
             join crm_sequence_enrollments e on e.id = l.enrollment_id where e.run_id = $1 order by step_number`,
            [handle.id],
          );
          // Not before their time (enrollment start + delay), whatever the restart did.
          expect(sentAt.rows[1]!.t).toBeGreaterThanOrEqual(started + 3000);
          expect(sentAt.rows[2]!.t).toBeGreaterThanOrEqual(started + 4000);
        } finally {
          await engine.stop(1000);
          unbindCrmStore(engine.db);
        }
      } finally {
        if (schema) await dropSchema(schema);
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
