import type { CrmDb } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { recordActivity } from "../prospects.js";
import type { MailConfig } from "./config.js";
import { claim, type LedgerRow, recoverStale, sequenceMessageId } from "./ledger.js";
import { deliverClaimed } from "./sender.js";
import { parseTemplate, recipientVars } from "./template.js";
import { createTransport } from "./transport.js";

export interface SequenceStep {
  stepNumber: number;
  /** From the enrollment's start: `0d`, `3d`, `7d`, `2h`, `30m`, `45s`, `1w`. */
  delay: string;
  type: "email";
  subject: string;
  body: string;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `3d` → ms. Anything else (`3 days`, `-1d`, `1y`, empty) is INVALID_DELAY. */
export function parseDelay(delay: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(delay.trim());
  if (!m) {
    throw new CrmInputError(
      "INVALID_DELAY",
      `Invalid delay "${delay}": a number and one unit of s, m, h, d, w (e.g. "0d", "3d", "2h")`,
    );
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * Validates the whole sequence before anything is sent: delays, step types, unique step
 * numbers, templates. Returns the steps in step-number order with their offset in ms.
 */
export function validateSteps(steps: SequenceStep[]): Array<SequenceStep & { offsetMs: number }> {
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new CrmInputError("INVALID_INPUT", "A sequence needs at least one step");
  }
  const seen = new Set<number>();
  const out = steps.map((s) => {
    if (!Number.isInteger(s.stepNumber) || s.stepNumber < 1) {
      throw new CrmInputError("INVALID_INPUT", `stepNumber must be a whole number ≥ 1, got ${s.stepNumber}`);
    }
    if (seen.has(s.stepNumber))
      throw new CrmInputError("INVALID_INPUT", `Two steps have stepNumber ${s.stepNumber}`);
    seen.add(s.stepNumber);
    if (s.type !== "email") {
      throw new CrmInputError(
        "INVALID_INPUT",
        `Step ${s.stepNumber}: type "${s.type}" is not supported (only "email")`,
      );
    }
    parseTemplate(s.subject, `subject of step ${s.stepNumber}`);
    parseTemplate(s.body, `body of step ${s.stepNumber}`);
    return { ...s, offsetMs: parseDelay(s.delay) };
  });
  return out.sort((a, b) => a.stepNumber - b.stepNumber);
}

export interface Enrollment {
  id: string;
  startedAt: number;
}

/** Creates the enrollment once per run (its id derives from the run id, so a retry finds it). */
export async function enroll(
  db: CrmDb,
  e: {
    id: string;
    workspaceId: string;
    sequenceId: string;
    sequenceName?: string;
    prospectId: string;
    runId: string;
  },
): Promise<Enrollment> {
  const { rows: prospect } = await db.query<{ id: string }>(
    "select id from crm_prospects where workspace_id = $1 and id = $2",
    [e.workspaceId, e.prospectId],
  );
  if (!prospect[0]) {
    throw new CrmInputError(
      "PROSPECT_NOT_FOUND",
      `Prospect "${e.prospectId}" does not exist in workspace "${e.workspaceId}"`,
    );
  }
  await db.query(
    `insert into crm_sequence_enrollments (id, workspace_id, sequence_id, sequence_name, prospect_id, run_id)
     values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing`,
    [e.id, e.workspaceId, e.sequenceId, e.sequenceName ?? null, e.prospectId, e.runId],
  );
  const { rows } = await db.query<{ started: number }>(
    "select (extract(epoch from started_at) * 1000)::float8 as started from crm_sequence_enrollments where id = $1",
    [e.id],
  );
  return { id: e.id, startedAt: Math.round(rows[0]!.started) };
}

export type StepOutcome =
  | { step: number; result: "sent" | "unknown"; messageId: string; detail: string }
  | { step: number; result: "skipped"; messageId: string; detail: string }
  | {
      step: number;
      result: "stopped";
      reason: "replied" | "unsubscribed" | "bounced" | "canceled" | "no-email";
    };

/**
 * Why the sequence must stop now, checked at send time: the enrollment was canceled, the
 * prospect replied since the enrollment started (an `email_replied` activity), or the address
 * is suppressed (unsubscribed, complained, bounced). Null: go on.
 */
async function stopReason(
  db: CrmDb,
  workspaceId: string,
  enrollmentId: string,
  prospect: { id: string; email: string | null },
): Promise<"replied" | "unsubscribed" | "bounced" | "canceled" | "no-email" | null> {
  const { rows } = await db.query<{ status: string; replied: boolean; suppression: string | null }>(
    `select e.status,
       exists (select 1 from crm_activities a where a.workspace_id = e.workspace_id and a.prospect_id = e.prospect_id
               and a.kind = 'email_replied' and a.occurred_at >= e.started_at) as replied,
       (select s.reason from crm_suppressions s where s.workspace_id = e.workspace_id and s.email = lower(trim($3))) as suppression
     from crm_sequence_enrollments e where e.workspace_id = $1 and e.id = $2`,
    [workspaceId, enrollmentId, prospect.email ?? ""],
  );
  const r = rows[0];
  if (!r || r.status === "canceled") return "canceled";
  if (r.replied) return "replied";
  if (r.suppression) return r.suppression === "bounce" ? "bounced" : "unsubscribed";
  if (!prospect.email?.includes("@")) return "no-email";
  return null;
}

/**
 * One step: the stop checks, then the ledger row (enrollment, step) and the same claim and
 * delivery as campaigns. Run inside `step.run`: a retry of the step finds the row already sent
 * (or `unknown` after a crash) and sends nothing again.
 */
export async function sendSequenceStep(
  db: CrmDb,
  config: MailConfig,
  s: { workspaceId: string; enrollmentId: string; prospectId: string; step: SequenceStep; attemptId: string },
): Promise<StepOutcome> {
  const { rows: ps } = await db.query<{
    id: string;
    first_name: string | null;
    last_name: string | null;
    email: string | null;
    company: string | null;
    job_title: string | null;
  }>(
    "select id, first_name, last_name, email, company, job_title from crm_prospects where workspace_id = $1 and id = $2",
    [s.workspaceId, s.prospectId],
  );
  const p = ps[0];
  if (!p) return { step: s.step.stepNumber, result: "stopped", reason: "canceled" };
  const reason = await stopReason(db, s.workspaceId, s.enrollmentId, p);
  const messageId = sequenceMessageId(s.enrollmentId, s.step.stepNumber, config.domain);
  if (reason) {
    await db.query(
      `insert into crm_send_ledger (workspace_id, enrollment_id, step_number, prospect_id, email, message_id, state, detail, finished_at)
       values ($1, $2, $3, $4, $5, $6, 'skipped', $7, now()) on conflict do nothing`,
      [
        s.workspaceId,
        s.enrollmentId,
        s.step.stepNumber,
        p.id,
        (p.email ?? "").trim().toLowerCase(),
        messageId,
        `sequence stopped: ${reason}`,
      ],
    );
    return { step: s.step.stepNumber, result: "stopped", reason };
  }
  const email = p.email!.trim().toLowerCase();
  const vars = recipientVars({
    firstName: p.first_name,
    lastName: p.last_name,
    email,
    company: p.company,
    jobTitle: p.job_title,
  });
  await db.query(
    `insert into crm_send_ledger (workspace_id, enrollment_id, step_number, prospect_id, email, name, vars, message_id)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) on conflict do nothing`,
    [
      s.workspaceId,
      s.enrollmentId,
      s.step.stepNumber,
      p.id,
      email,
      vars.name,
      JSON.stringify(vars),
      messageId,
    ],
  );
  await recoverStale(db, { enrollmentId: s.enrollmentId }, s.attemptId);
  const { rows } = await db.query<LedgerRow & { state: string; detail: string | null }>(
    `select id::text as id, workspace_id as "workspaceId", email, name, vars, message_id as "messageId",
       prospect_id as "prospectId", state, detail
     from crm_send_ledger where enrollment_id = $1 and step_number = $2`,
    [s.enrollmentId, s.step.stepNumber],
  );
  const row = rows[0]!;
  if (row.state !== "pending") {
    // Done by an earlier attempt of this step: report it, send nothing.
    const result = row.state === "sent" || row.state === "unknown" ? row.state : "skipped";
    return { step: s.step.stepNumber, result, messageId, detail: row.detail ?? row.state } as StepOutcome;
  }
  const transport = createTransport(config);
  try {
    const claimed = await claim(db, row.id, s.attemptId, transport.kind);
    if (claimed === "suppressed")
      return { step: s.step.stepNumber, result: "stopped", reason: "unsubscribed" };
    if (claimed === null)
      return { step: s.step.stepNumber, result: "skipped", messageId, detail: "claimed elsewhere" };
    const outcome = await deliverClaimed(db, transport, config, s.attemptId, {
      row,
      subject: parseTemplate(s.step.subject),
      body: parseTemplate(s.step.body),
      from: config.from,
      unsubscribe: true,
    });
    if (outcome.kind === "skipped") {
      return {
        step: s.step.stepNumber,
        result: "skipped",
        messageId,
        detail: `missing template variable(s): ${outcome.missing.join(", ")}`,
      };
    }
    if (outcome.kind === "sent") {
      await recordActivity(db, {
        workspaceId: s.workspaceId,
        prospectId: p.id,
        kind: "email_sent",
        details: { enrollmentId: s.enrollmentId, step: s.step.stepNumber, messageId },
      });
      return { step: s.step.stepNumber, result: "sent", messageId, detail: outcome.response };
    }
    if (outcome.kind === "unknown")
      return { step: s.step.stepNumber, result: "unknown", messageId, detail: outcome.response };
    if (outcome.kind === "rejected" && outcome.bounce)
      return { step: s.step.stepNumber, result: "stopped", reason: "bounced" };
    // Refused or not connected: the row is pending again; fail the attempt so the run retries it.
    throw new Error(`step ${s.step.stepNumber} not accepted: ${outcome.response}`);
  } finally {
    transport.close();
  }
}

export async function finishEnrollment(
  db: CrmDb,
  workspaceId: string,
  enrollmentId: string,
  status: "completed" | "stopped",
  reason?: string,
): Promise<void> {
  await db.query(
    `update crm_sequence_enrollments set status = $3, stop_reason = $4, finished_at = now()
     where workspace_id = $1 and id = $2 and status = 'active'`,
    [workspaceId, enrollmentId, status, reason ?? null],
  );
}

/** Cancels an enrollment: the next step's send-time check stops the sequence. */
export async function cancelEnrollment(
  db: CrmDb,
  workspaceId: string,
  enrollmentId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update crm_sequence_enrollments set status = 'canceled', stop_reason = 'canceled', finished_at = now()
     where workspace_id = $1 and id = $2 and status = 'active'`,
    [workspaceId, enrollmentId],
  );
  return rowCount > 0;
}
