import type { AppRoute, AppRouteRequest } from "@mainspring/sdk";
import { z } from "zod";
import { crmStore } from "../../db/store.js";
import {
  cancelCampaignSending,
  resumeCampaign,
  scheduleCampaign,
  startCampaign,
} from "../../trigger/campaign-sender.js";
import { CrmInputError } from "../errors.js";
import { getWorkspace } from "../workspaces.js";
import {
  AUDIENCES,
  createCampaign,
  getCampaign,
  listCampaigns,
  pauseCampaign,
  setCampaignStatus,
} from "./campaigns.js";
import { campaignCounts, campaignRecipients, type LedgerState, resolveUnknown } from "./ledger.js";

/**
 * Campaigns over HTTP, under `/api/v1/app/workspaces/:workspaceId/campaigns`. A secret key may
 * do anything; a public token reads with `read:tags:workspace:<id>` and acts with
 * `write:tags:workspace:<id>` (what the CRM's web app mints for a signed-in member).
 */
const ERRORS = {
  FORBIDDEN: 403,
  INVALID_INPUT: 400,
  INVALID_TEMPLATE: 400,
  WORKSPACE_NOT_FOUND: 404,
  CAMPAIGN_NOT_FOUND: 404,
  RECIPIENT_NOT_FOUND: 404,
  CAMPAIGN_STATE: 409,
  CRM_NOT_READY: 503,
};

const BASE = "/workspaces/:workspaceId/campaigns";

async function authorized(req: AppRouteRequest, action: "read" | "write"): Promise<string> {
  const workspaceId = req.params.workspaceId!;
  if (!req.auth.can(action, "tags", `workspace:${workspaceId}`)) {
    throw new CrmInputError(
      "FORBIDDEN",
      `This access token cannot ${action} the campaigns of workspace "${workspaceId}"`,
    );
  }
  await getWorkspace(await crmStore(), workspaceId);
  return workspaceId;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CrmInputError(
      "INVALID_INPUT",
      `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

const createBody = z.object({
  name: z.string().min(1).max(200),
  subject: z.string().min(1).max(998),
  body: z.string().min(1).max(100_000),
  audience: z.enum(AUDIENCES),
  fromAddress: z.string().min(3).max(320).optional(),
});

const scheduleBody = z.object({ scheduledFor: z.string().datetime({ offset: true }) });

const LEDGER_STATES = ["pending", "sending", "sent", "failed", "suppressed", "skipped", "unknown"] as const;

const resolveBody = z.object({
  decision: z.enum(["sent", "failed", "resend"]),
  by: z.string().min(1).max(200).optional(),
});

async function view(workspaceId: string, campaignId: string) {
  const db = await crmStore();
  const campaign = await getCampaign(db, workspaceId, campaignId);
  return { campaign, counts: await campaignCounts(db, campaign.id) };
}

/** Acts on a campaign, then answers with its state and counts. */
function action(
  name: string,
  act: (workspaceId: string, campaignId: string, body: unknown) => Promise<unknown>,
): AppRoute {
  return {
    method: "POST",
    path: `${BASE}/:campaignId/${name}`,
    errors: ERRORS,
    handler: async (req) => {
      const workspaceId = await authorized(req, "write");
      const result = await act(workspaceId, req.params.campaignId!, req.body);
      return { ...(await view(workspaceId, req.params.campaignId!)), result };
    },
  };
}

export const campaignRoutes: AppRoute[] = [
  {
    method: "GET",
    path: BASE,
    errors: ERRORS,
    handler: async (req) => {
      const workspaceId = await authorized(req, "read");
      return { data: await listCampaigns(await crmStore(), workspaceId) };
    },
  },
  {
    method: "POST",
    path: BASE,
    errors: ERRORS,
    handler: async (req) => {
      const workspaceId = await authorized(req, "write");
      const input = parse(createBody, req.body);
      return { campaign: await createCampaign(await crmStore(), { workspaceId, ...input }) };
    },
  },
  {
    method: "GET",
    path: `${BASE}/:campaignId`,
    errors: ERRORS,
    handler: async (req) => view(await authorized(req, "read"), req.params.campaignId!),
  },
  {
    method: "GET",
    path: `${BASE}/:campaignId/recipients`,
    errors: ERRORS,
    handler: async (req) => {
      const workspaceId = await authorized(req, "read");
      const q = parse(
        z.object({
          state: z.enum(LEDGER_STATES).optional(),
          after: z
            .string()
            .regex(/^\d{1,18}$/, "a recipient id")
            .optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
        req.query,
      );
      const db = await crmStore();
      const campaign = await getCampaign(db, workspaceId, req.params.campaignId!);
      const data = await campaignRecipients(db, campaign.id, {
        state: q.state as LedgerState | undefined,
        afterId: q.after,
        limit: q.limit,
      });
      return { data, next: data.length === (q.limit ?? 100) ? data.at(-1)!.id : null };
    },
  },
  action("send", async (ws, id) => ({ runId: (await startCampaign(ws, id)).id })),
  action("schedule", async (ws, id, body) => {
    const { scheduledFor } = parse(scheduleBody, body);
    return { runId: (await scheduleCampaign(ws, id, new Date(scheduledFor))).id };
  }),
  action("pause", async (ws, id) => pauseCampaign(await crmStore(), ws, id).then(() => null)),
  action("resume", async (ws, id) => ({ runId: (await resumeCampaign(ws, id)).id })),
  action("cancel", async (ws, id) => cancelCampaignSending(ws, id).then(() => null)),
  {
    method: "POST",
    path: `${BASE}/:campaignId/recipients/:recipientId/resolve`,
    errors: ERRORS,
    handler: async (req) => {
      const workspaceId = await authorized(req, "write");
      const { decision, by } = parse(resolveBody, req.body);
      const recipientId = req.params.recipientId!;
      const db = await crmStore();
      const campaign = await getCampaign(db, workspaceId, req.params.campaignId!);
      const notFound = () =>
        new CrmInputError(
          "RECIPIENT_NOT_FOUND",
          `Recipient ${recipientId} of campaign "${campaign.id}" has no unknown outcome to resolve`,
        );
      if (!/^\d{1,18}$/.test(recipientId)) throw notFound();
      const who = by ?? (req.auth.kind === "secret" ? "api" : "token");
      await db.transaction(async (tx) => {
        // The campaign's row lock: a sender finishing meanwhile cannot slip between the check
        // and the requeue (its final `sent` waits for this commit, then sees the pause).
        const { rows } = await tx.query<{ status: string }>(
          "select status from crm_campaigns where workspace_id = $1 and id = $2 for update",
          [workspaceId, campaign.id],
        );
        const status = rows[0]?.status;
        // A requeued row goes out with the campaign's next run: only a finished (then paused)
        // or paused campaign has one to come; a running sender may already be past the row.
        if (decision === "resend" && status !== "sent" && status !== "paused") {
          throw new CrmInputError(
            "CAMPAIGN_STATE",
            `Campaign "${campaign.id}" is ${status}: resend a recipient once it is sent or paused`,
          );
        }
        if (!(await resolveUnknown(tx, campaign.id, recipientId, decision, who))) throw notFound();
        if (decision === "resend" && status === "sent") {
          await setCampaignStatus(tx, campaign, "paused", {
            from: ["sent"],
            reason: "recipients requeued by a person: resume to send them",
          });
        }
      });
      return view(workspaceId, campaign.id);
    },
  },
];
