import { queue, runs, schemaTask, step, wait } from "@mainspring/sdk";
import { z } from "zod";
import {
  audienceSize,
  type Campaign,
  cancelCampaign,
  getCampaign,
  materializeAudience,
  setCampaignStatus,
  validateCampaignContent,
} from "../crm/email/campaigns.js";
import { approvalThreshold, mailConfig, maxLatenessMs, rateLimitFor } from "../crm/email/config.js";
import { assertSendable, sendCampaign } from "../crm/email/sender.js";
import { CrmInputError } from "../crm/errors.js";
import type { Tier } from "../crm/tiers.js";
import { getWorkspace } from "../crm/workspaces.js";
import { type CrmDb, crmStore } from "../db/store.js";
import { buildWorkspaceQueueOptions } from "./queues.js";

const id = z.string().min(1).max(128);

/**
 * One campaign sends at a time per workspace (concurrency key = workspace): the workspace's
 * rate limit is then the sender run's pace, whatever the number of worker processes.
 */
export const campaignSenderQueue = queue({ name: "campaign-sender-queue", concurrencyLimit: 1 });

/**
 * Trigger options for a campaign's sender: the workspace's key on the sender queue, the seed's
 * tags, and the seed's idempotency key `campaign-{id}-send` (a resume uses `…-resume-{n}`).
 */
export function campaignSendOptions(workspaceId: string, tier: Tier, campaignId: string, resume = 0) {
  return {
    ...buildWorkspaceQueueOptions(workspaceId, tier, "campaign-send", [`campaign:${campaignId}`]),
    queue: campaignSenderQueue.name,
    idempotencyKey: resume === 0 ? `campaign-${campaignId}-send` : `campaign-${campaignId}-resume-${resume}`,
    idempotencyKeyTTL: "24h",
  };
}

/**
 * The approval hook: a campaign above CAMPAIGN_APPROVAL_THRESHOLD recipients waits on a wait
 * token (`campaign-{id}-approval`) recorded in crm_approvals, completed with
 * `{ approved: boolean, decidedBy? }` by `wait.completeToken` (the approvals task of a later
 * issue will do it from its UI). Rejection or the 24 h timeout cancels the campaign.
 */
async function awaitApproval(db: CrmDb, campaign: Campaign, recipients: number): Promise<boolean> {
  const token = await wait.createToken({
    timeout: process.env.CAMPAIGN_APPROVAL_TIMEOUT || "24h",
    idempotencyKey: `campaign-${campaign.id}-approval`,
    tags: [`workspace:${campaign.workspaceId}`, `campaign:${campaign.id}`, "type:campaign-approval"],
  });
  await step.run("request-approval", async () => {
    await db.query(
      `insert into crm_approvals (id, workspace_id, type, entity_id, title, description, requested_by, token_id)
       values ($1, $2, 'campaign', $3, $4, $5, 'send-campaign', $6) on conflict (id) do nothing`,
      [
        `apr_${campaign.id}`,
        campaign.workspaceId,
        campaign.id,
        `Review campaign "${campaign.name}" before sending`,
        `This will send to ${recipients} recipients`,
        token.id,
      ],
    );
    await setCampaignStatus(db, campaign, "awaiting_approval", {
      reason: `${recipients} recipients: waiting for approval (token ${token.id})`,
      from: ["draft", "scheduled", "sending"],
    });
    return token.id;
  });
  const decision = await wait.forToken<{ approved: boolean; decidedBy?: string }>(token);
  const approved = decision.ok && decision.output.approved === true;
  await db.query(
    `update crm_approvals set status = $3, decided_by = $4, decided_at = now()
     where workspace_id = $1 and id = $2 and status = 'pending'`,
    [
      campaign.workspaceId,
      `apr_${campaign.id}`,
      approved ? "approved" : decision.ok ? "rejected" : "expired",
      decision.ok ? (decision.output.decidedBy ?? null) : null,
    ],
  );
  if (!approved) {
    await setCampaignStatus(db, campaign, "canceled", {
      reason: decision.ok ? "approval rejected" : "approval expired",
      from: ["awaiting_approval", "draft", "scheduled"],
    });
  }
  return approved;
}

/**
 * Sends a campaign to its audience, each recipient at most once whatever fails (see
 * crm/email/ledger.ts). Bad input fails before anything is sent, without retry:
 * CAMPAIGN_NOT_FOUND, INVALID_TEMPLATE, AUDIENCE_EMPTY. Trigger it with campaignSendOptions.
 */
export const sendCampaignTask = schemaTask({
  id: "send-campaign",
  schema: z.object({ campaignId: id, workspaceId: id }),
  queue: campaignSenderQueue,
  retry: { maxAttempts: 10, minTimeoutInMs: 1000, maxTimeoutInMs: 30_000 },
  run: async (payload, { ctx, signal }) => {
    const db = await crmStore();
    const ws = await getWorkspace(db, payload.workspaceId);
    const campaign = await getCampaign(db, payload.workspaceId, payload.campaignId);
    if (campaign.status === "sent" || campaign.status === "canceled" || campaign.status === "failed") {
      return { campaignId: campaign.id, status: campaign.status, note: "nothing to send" };
    }
    if (campaign.status === "paused") {
      // Paused while this run was queued or retrying: resumeCampaign starts a new run.
      return { campaignId: campaign.id, status: campaign.status, note: "paused" };
    }
    try {
      validateCampaignContent(campaign);
    } catch (error) {
      await setCampaignStatus(db, campaign, "failed", { reason: (error as Error).message });
      throw error;
    }
    const recipients = await step.run("audience-size", async () =>
      campaign.materializedAt
        ? Number(
            (
              await db.query<{ n: number }>(
                "select count(*)::int as n from crm_send_ledger where campaign_id = $1",
                [campaign.id],
              )
            ).rows[0]!.n,
          )
        : audienceSize(db, campaign.workspaceId, campaign.audience),
    );
    if (recipients === 0) {
      await setCampaignStatus(db, campaign, "failed", {
        reason: `the audience "${campaign.audience}" is empty`,
      });
      throw new CrmInputError(
        "AUDIENCE_EMPTY",
        `Campaign "${campaign.id}": the audience "${campaign.audience}" has no address`,
      );
    }
    if (recipients > approvalThreshold() && !(await awaitApproval(db, campaign, recipients))) {
      return { campaignId: campaign.id, status: "canceled" as const, note: "not approved" };
    }
    const config = mailConfig();
    const rate = rateLimitFor(ws.tier);
    await materializeAudience(db, await getCampaign(db, ws.id, campaign.id), config.domain);
    const result = await sendCampaign(db, await getCampaign(db, ws.id, campaign.id), {
      attemptId: ctx.attempt.id,
      runId: ctx.run.id,
      signal,
      config,
      ratePerSecond: rate,
    });
    return { campaignId: campaign.id, ...result };
  },
});

/**
 * Sends a campaign at `scheduledFor`: a durable wait (no worker held), then the send run. The
 * time is re-read from the campaign after each wait, so a later `scheduled_for` waits again;
 * `rescheduleCampaign` handles an earlier one. Canceled meanwhile: nothing is sent. Woken more
 * than CAMPAIGN_MAX_LATENESS_MINUTES (60) after the time (the system was down): the campaign
 * fails with the reason instead of going out late unnoticed.
 */
export const scheduleCampaignTask = schemaTask({
  id: "schedule-campaign",
  schema: z.object({ campaignId: id, workspaceId: id, scheduledFor: z.string().min(1) }),
  run: async (payload) => {
    const db = await crmStore();
    const at = new Date(payload.scheduledFor);
    if (Number.isNaN(at.getTime())) {
      throw new CrmInputError(
        "INVALID_INPUT",
        `scheduledFor "${payload.scheduledFor}" is not a date (ISO 8601)`,
      );
    }
    const ws = await getWorkspace(db, payload.workspaceId);
    const campaign = await getCampaign(db, payload.workspaceId, payload.campaignId);
    await step.run("schedule", async () => {
      assertSendable(campaign);
      validateCampaignContent(campaign);
      await db.query(
        `update crm_campaigns set status = 'scheduled', scheduled_for = $3, status_reason = null, updated_at = now()
         where workspace_id = $1 and id = $2 and status in ('draft', 'scheduled')`,
        [ws.id, campaign.id, at.toISOString()],
      );
      return true;
    });
    for (let i = 0; i < 100; i++) {
      const now = await step.run(`read-schedule-${i}`, async () => {
        const c = await getCampaign(db, ws.id, campaign.id);
        return {
          status: c.status,
          at: c.scheduledFor ? new Date(c.scheduledFor).getTime() : 0,
          now: Date.now(),
        };
      });
      if (now.status !== "scheduled") return { campaignId: campaign.id, status: now.status, sent: false };
      if (now.at > now.now) {
        await wait.until({ date: new Date(now.at) });
        continue;
      }
      const late = now.now - now.at;
      if (late > maxLatenessMs()) {
        await setCampaignStatus(db, campaign, "failed", {
          reason: `missed its schedule: woke ${Math.round(late / 60_000)} min after ${new Date(now.at).toISOString()} (limit CAMPAIGN_MAX_LATENESS_MINUTES)`,
          from: ["scheduled"],
        });
        return { campaignId: campaign.id, status: "failed" as const, sent: false, lateMs: late };
      }
      const handle = await sendCampaignTask.trigger(
        { campaignId: campaign.id, workspaceId: ws.id },
        campaignSendOptions(ws.id, ws.tier, campaign.id),
      );
      return { campaignId: campaign.id, status: "sending" as const, sent: true, sendRunId: handle.id };
    }
    throw new CrmInputError("INVALID_INPUT", "rescheduled more than 100 times");
  },
});

/** Starts sending now (the seed's `sendCampaignTask.trigger` with the right options). */
export async function startCampaign(workspaceId: string, campaignId: string) {
  const db = await crmStore();
  const ws = await getWorkspace(db, workspaceId);
  const c = await getCampaign(db, workspaceId, campaignId);
  assertSendable(c);
  return sendCampaignTask.trigger({ workspaceId, campaignId }, campaignSendOptions(ws.id, ws.tier, c.id));
}

/** Resumes a paused campaign: a new sender run (its own idempotency key) takes the pending rows. */
export async function resumeCampaign(workspaceId: string, campaignId: string) {
  const db = await crmStore();
  const ws = await getWorkspace(db, workspaceId);
  const { rows } = await db.query<{ resumes: number }>(
    `update crm_campaigns set status = 'sending', status_reason = null, resumes = resumes + 1, updated_at = now()
     where workspace_id = $1 and id = $2 and status = 'paused' returning resumes`,
    [workspaceId, campaignId],
  );
  if (!rows[0]) {
    const c = await getCampaign(db, workspaceId, campaignId);
    throw new CrmInputError(
      "CAMPAIGN_STATE",
      `Campaign "${campaignId}" is ${c.status}: only a paused campaign resumes`,
    );
  }
  return sendCampaignTask.trigger(
    { workspaceId, campaignId },
    campaignSendOptions(ws.id, ws.tier, campaignId, rows[0].resumes),
  );
}

async function cancelScheduleRuns(campaignId: string): Promise<void> {
  const page = await runs.list({
    taskIdentifier: "schedule-campaign",
    tag: `campaign:${campaignId}`,
    status: ["DELAYED", "QUEUED", "EXECUTING", "WAITING"],
    limit: 100,
  });
  for (const r of page.data) await runs.cancel(r.id);
}

/** Schedules (or moves) a campaign: the waiting schedule run is canceled and a new one started. */
export async function scheduleCampaign(workspaceId: string, campaignId: string, scheduledFor: Date) {
  const db = await crmStore();
  const ws = await getWorkspace(db, workspaceId);
  const c = await getCampaign(db, workspaceId, campaignId);
  if (c.status !== "draft" && c.status !== "scheduled") {
    throw new CrmInputError(
      "CAMPAIGN_STATE",
      `Campaign "${campaignId}" is ${c.status}: only a draft or scheduled campaign can be scheduled`,
    );
  }
  validateCampaignContent(c);
  if (Number.isNaN(scheduledFor.getTime()) || scheduledFor.getTime() < Date.now() - 60_000) {
    throw new CrmInputError(
      "INVALID_INPUT",
      `scheduledFor must be a date from now on (got ${Number.isNaN(scheduledFor.getTime()) ? "an invalid date" : scheduledFor.toISOString()}); send it now instead`,
    );
  }
  await cancelScheduleRuns(campaignId);
  return scheduleCampaignTask.trigger(
    { workspaceId, campaignId, scheduledFor: scheduledFor.toISOString() },
    buildWorkspaceQueueOptions(ws.id, ws.tier, "campaign-schedule", [`campaign:${campaignId}`]),
  );
}

/** Cancels a campaign: no more sends, the pending rows skipped, a waiting schedule run canceled. */
export async function cancelCampaignSending(workspaceId: string, campaignId: string) {
  const c = await cancelCampaign(await crmStore(), workspaceId, campaignId);
  await cancelScheduleRuns(campaignId);
  return c;
}

/** The seed's `campaignProgressStream` (stream id "campaign-progress"): one chunk a second while sending. */
export { type CampaignProgress, campaignProgress as campaignProgressStream } from "../crm/email/progress.js";
