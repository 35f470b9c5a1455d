import { logger, schemaTask, step, wait } from "@mainspring/sdk";
import { z } from "zod";
import { mailConfig } from "../crm/email/config.js";
import {
  enroll,
  finishEnrollment,
  type SequenceStep,
  type StepOutcome,
  sendSequenceStep,
  validateSteps,
} from "../crm/email/sequences.js";
import { getWorkspace } from "../crm/workspaces.js";
import { crmStore } from "../db/store.js";
import { standardTierQueue } from "./queues.js";

const id = z.string().min(1).max(128);
const stepSchema = z.object({
  stepNumber: z.number().int(),
  delay: z.string(),
  type: z.literal("email"),
  subject: z.string().max(1000),
  body: z.string().max(100_000),
});

/**
 * Runs a sequence for one prospect: each step at enrollment start + its delay (a durable
 * `wait.until`: no worker held, survives restarts), then `step.run` sends it through the send
 * ledger (key: enrollment, step). Before each send: stop if the prospect replied, unsubscribed
 * or bounced, or the enrollment was canceled. A step whose template lacks a required variable
 * is skipped with the reason; the next steps still run.
 */
async function runSequence(
  p: {
    workspaceId: string;
    prospectId: string;
    sequenceId: string;
    sequenceName?: string;
    steps: SequenceStep[];
  },
  ctx: { run: { id: string }; attempt: { id: string } },
) {
  const steps = validateSteps(p.steps); // INVALID_DELAY, INVALID_TEMPLATE, INVALID_INPUT: before anything
  const db = await crmStore();
  await getWorkspace(db, p.workspaceId);
  const enrollment = await step.run("enroll", () =>
    enroll(db, {
      id: `enr_${ctx.run.id.replace(/^run_/, "")}`,
      workspaceId: p.workspaceId,
      sequenceId: p.sequenceId,
      sequenceName: p.sequenceName,
      prospectId: p.prospectId,
      runId: ctx.run.id,
    }),
  );
  const outcomes: StepOutcome[] = [];
  for (const s of steps) {
    if (s.offsetMs > 0) await wait.until({ date: new Date(enrollment.startedAt + s.offsetMs) });
    const outcome = await step.run(`send-step-${s.stepNumber}`, () =>
      sendSequenceStep(db, mailConfig(), {
        workspaceId: p.workspaceId,
        enrollmentId: enrollment.id,
        prospectId: p.prospectId,
        step: s,
        attemptId: ctx.attempt.id,
      }),
    );
    outcomes.push(outcome);
    if (outcome.result === "skipped") logger.warn(`step ${s.stepNumber} skipped`, { detail: outcome.detail });
    if (outcome.result === "stopped") {
      await finishEnrollment(db, p.workspaceId, enrollment.id, "stopped", outcome.reason);
      return {
        enrollmentId: enrollment.id,
        status: "stopped" as const,
        reason: outcome.reason,
        steps: outcomes,
      };
    }
  }
  await finishEnrollment(db, p.workspaceId, enrollment.id, "completed");
  return { enrollmentId: enrollment.id, status: "completed" as const, steps: outcomes };
}

/** The seed's `execute-follow-up-sequence`. */
export const executeFollowUpSequenceTask = schemaTask({
  id: "execute-follow-up-sequence",
  schema: z.object({
    workspaceId: id,
    prospectId: id,
    sequenceId: id,
    sequenceName: z.string().max(200).optional(),
    triggeredBy: z.string().max(200).optional(),
    steps: z.array(stepSchema).min(1).max(50),
  }),
  queue: standardTierQueue,
  run: (payload, { ctx }) => runSequence(payload, ctx),
});

/** The seed's `send-delayed-follow-up`: one email after `delay`, with the same checks. */
export const sendDelayedFollowUpTask = schemaTask({
  id: "send-delayed-follow-up",
  schema: z.object({
    workspaceId: id,
    prospectId: id,
    delay: z.string(),
    subject: z.string().max(1000),
    body: z.string().max(100_000),
    triggeredBy: z.string().max(200).optional(),
  }),
  queue: standardTierQueue,
  run: (payload, { ctx }) =>
    runSequence(
      {
        workspaceId: payload.workspaceId,
        prospectId: payload.prospectId,
        sequenceId: "delayed-follow-up",
        steps: [
          {
            stepNumber: 1,
            delay: payload.delay,
            type: "email",
            subject: payload.subject,
            body: payload.body,
          },
        ],
      },
      ctx,
    ),
});
