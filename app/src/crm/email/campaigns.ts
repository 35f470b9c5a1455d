import type { CrmQueryable } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { newId } from "../ids.js";
import { campaignCounts, campaignMessageId, type LedgerCounts } from "./ledger.js";
import { parseTemplate } from "./template.js";

export const AUDIENCES = ["all_leads", "new_leads", "qualified_leads", "contacts"] as const;
export type Audience = (typeof AUDIENCES)[number];
export type CampaignStatus =
  | "draft"
  | "scheduled"
  | "awaiting_approval"
  | "sending"
  | "paused"
  | "sent"
  | "failed"
  | "canceled";

export interface Campaign {
  id: string;
  workspaceId: string;
  name: string;
  subject: string;
  body: string;
  audience: Audience;
  status: CampaignStatus;
  statusReason: string | null;
  fromAddress: string | null;
  scheduledFor: Date | null;
  materializedAt: Date | null;
  resumes: number;
  stats: Record<string, unknown>;
}

const COLUMNS = `id, workspace_id as "workspaceId", name, subject, body, audience, status,
  status_reason as "statusReason", from_address as "fromAddress", scheduled_for as "scheduledFor",
  materialized_at as "materializedAt", resumes, stats`;

/** Checks both templates parse: a malformed one is INVALID_TEMPLATE before anything is sent. */
export function validateCampaignContent(c: { subject: string; body: string }): void {
  parseTemplate(c.subject, "subject");
  parseTemplate(c.body, "body");
}

export async function createCampaign(
  db: CrmQueryable,
  c: {
    workspaceId: string;
    name: string;
    subject: string;
    body: string;
    audience: Audience;
    fromAddress?: string;
  },
): Promise<Campaign> {
  if (!AUDIENCES.includes(c.audience)) {
    throw new CrmInputError(
      "INVALID_INPUT",
      `Unknown audience "${c.audience}" (one of ${AUDIENCES.join(", ")})`,
    );
  }
  validateCampaignContent(c);
  const { rows } = await db.query<Campaign>(
    `insert into crm_campaigns (id, workspace_id, name, subject, body, audience, from_address)
     values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
    [newId("cmp"), c.workspaceId, c.name, c.subject, c.body, c.audience, c.fromAddress ?? null],
  );
  return rows[0]!;
}

/** The campaign, or CAMPAIGN_NOT_FOUND (also for another workspace's campaign). */
export async function getCampaign(
  db: CrmQueryable,
  workspaceId: string,
  campaignId: string,
): Promise<Campaign> {
  const { rows } = await db.query<Campaign>(
    `select ${COLUMNS} from crm_campaigns where workspace_id = $1 and id = $2`,
    [workspaceId, campaignId],
  );
  if (!rows[0]) {
    throw new CrmInputError(
      "CAMPAIGN_NOT_FOUND",
      `Campaign "${campaignId}" does not exist in workspace "${workspaceId}"`,
    );
  }
  return rows[0];
}

/** A workspace's campaigns, newest first. */
export async function listCampaigns(db: CrmQueryable, workspaceId: string, limit = 100): Promise<Campaign[]> {
  const { rows } = await db.query<Campaign>(
    `select ${COLUMNS} from crm_campaigns where workspace_id = $1 order by created_at desc, id desc limit $2`,
    [workspaceId, limit],
  );
  return rows;
}

/**
 * The audience as one SELECT of (email, name, prospect, template variables), one row per
 * address (lower-cased; the first lead by id wins a duplicate). Leads need an address and are
 * never `lost`; "qualified" means stage qualified or later (proposal, negotiation).
 */
function audienceSql(audience: Audience): string {
  if (audience === "contacts") {
    return `select distinct on (lower(trim(c.email))) lower(trim(c.email)) as email, c.name, c.prospect_id,
              jsonb_build_object('name', nullif(trim(c.name), ''), 'first_name', nullif(split_part(trim(c.name), ' ', 1), ''),
                'last_name', null, 'email', lower(trim(c.email)), 'company', nullif(trim(c.company), ''), 'job_title', null) as vars
            from crm_contacts c where c.workspace_id = $1 and c.email like '%@%' and c.unsubscribed_at is null
            order by lower(trim(c.email)), c.id`;
  }
  const stage =
    audience === "new_leads"
      ? "and p.stage = 'new'"
      : audience === "qualified_leads"
        ? "and p.stage in ('qualified', 'proposal', 'negotiation')"
        : "and p.stage <> 'lost'";
  return `select distinct on (lower(trim(p.email))) lower(trim(p.email)) as email,
            nullif(concat_ws(' ', nullif(trim(p.first_name), ''), nullif(trim(p.last_name), '')), '') as name, p.id as prospect_id,
            jsonb_build_object('name', nullif(concat_ws(' ', nullif(trim(p.first_name), ''), nullif(trim(p.last_name), '')), ''),
              'first_name', nullif(trim(p.first_name), ''), 'last_name', nullif(trim(p.last_name), ''),
              'email', lower(trim(p.email)), 'company', nullif(trim(p.company), ''), 'job_title', nullif(trim(p.job_title), '')) as vars
          from crm_prospects p where p.workspace_id = $1 and p.email like '%_@_%' ${stage}
          order by lower(trim(p.email)), p.id`;
}

export async function audienceSize(
  db: CrmQueryable,
  workspaceId: string,
  audience: Audience,
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from (${audienceSql(audience)}) a`,
    [workspaceId],
  );
  return rows[0]!.n;
}

/**
 * Snapshots the audience into the ledger, once: rows and `materialized_at` in one statement,
 * so a crash either left no rows or all of them, and a retry does not add the leads created
 * since the first attempt. Returns the number of rows.
 */
export async function materializeAudience(
  db: CrmQueryable,
  campaign: Campaign,
  domain: string,
): Promise<number> {
  if (!campaign.materializedAt) {
    await db.query(
      `with m as (
         update crm_campaigns set materialized_at = now(), updated_at = now()
         where workspace_id = $1 and id = $2 and materialized_at is null returning id),
       a as (${audienceSql(campaign.audience)})
       insert into crm_send_ledger (workspace_id, campaign_id, prospect_id, email, name, vars, message_id)
       select $1, m.id, a.prospect_id, a.email, a.name, a.vars,
         '<c.' || m.id || '.' || substr(encode(sha256(convert_to(m.id || E'\\n' || a.email, 'UTF8')), 'hex'), 1, 24) || '@' || $3 || '>'
       from m, a
       on conflict do nothing`,
      [campaign.workspaceId, campaign.id, domain],
    );
  }
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from crm_send_ledger where campaign_id = $1",
    [campaign.id],
  );
  return rows[0]!.n;
}
// The SQL above computes campaignMessageId(campaignId, email, domain); the test checks they agree.
export { campaignMessageId };

export async function setCampaignStatus(
  db: CrmQueryable,
  c: { workspaceId: string; id: string },
  status: CampaignStatus,
  extra: { reason?: string | null; from?: CampaignStatus[]; runId?: string; sender?: string } = {},
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update crm_campaigns set status = $3, status_reason = $4, updated_at = now(),
       send_run_id = coalesce($6, send_run_id), sender = coalesce($7, sender),
       started_at = case when $3 = 'sending' then coalesce(started_at, now()) else started_at end,
       finished_at = case when $3 in ('sent', 'failed', 'canceled') then now() else finished_at end
     where workspace_id = $1 and id = $2 and ($5::text[] is null or status = any($5::text[]))`,
    [
      c.workspaceId,
      c.id,
      status,
      extra.reason ?? null,
      extra.from ?? null,
      extra.runId ?? null,
      extra.sender ?? null,
    ],
  );
  return rowCount > 0;
}

/** Live stats from the ledger, also stored on the campaign (`stats`). */
export async function refreshCampaignStats(
  db: CrmQueryable,
  campaign: { workspaceId: string; id: string },
): Promise<LedgerCounts> {
  const counts = await campaignCounts(db, campaign.id);
  await db.query(
    "update crm_campaigns set stats = $3::jsonb, updated_at = now() where workspace_id = $1 and id = $2",
    [campaign.workspaceId, campaign.id, JSON.stringify(counts)],
  );
  return counts;
}

/**
 * Pause: the sender stops after the messages in flight. Cancel: it stops and the rows not
 * yet sent become `skipped`. Both take effect at the sender's next status check (every 100
 * messages or 500 ms). Resume is `resumeCampaign` in trigger/campaign-sender.ts (it starts a run).
 */
export async function pauseCampaign(
  db: CrmQueryable,
  workspaceId: string,
  campaignId: string,
): Promise<Campaign> {
  const c = await getCampaign(db, workspaceId, campaignId);
  if (!(await setCampaignStatus(db, c, "paused", { from: ["sending", "awaiting_approval"] }))) {
    throw new CrmInputError(
      "CAMPAIGN_STATE",
      `Campaign "${campaignId}" is ${c.status}: only a sending campaign can pause`,
    );
  }
  return getCampaign(db, workspaceId, campaignId);
}

export async function cancelCampaign(
  db: CrmQueryable,
  workspaceId: string,
  campaignId: string,
): Promise<Campaign> {
  const c = await getCampaign(db, workspaceId, campaignId);
  const ok = await setCampaignStatus(db, c, "canceled", {
    reason: "canceled by a user",
    from: ["draft", "scheduled", "awaiting_approval", "sending", "paused"],
  });
  if (!ok) throw new CrmInputError("CAMPAIGN_STATE", `Campaign "${campaignId}" is already ${c.status}`);
  await db.query(
    `update crm_send_ledger set state = 'skipped', detail = 'campaign canceled', finished_at = now()
     where campaign_id = $1 and state = 'pending'`,
    [campaignId],
  );
  return getCampaign(db, workspaceId, campaignId);
}
