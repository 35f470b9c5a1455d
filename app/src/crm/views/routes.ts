import type { AppRoute, AppRouteRequest } from "@mainspring/sdk";
import { z } from "zod";
import { crmStore } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { getWorkspace, listWorkspaces } from "../workspaces.js";

/**
 * Read-only views of the CRM for the dashboard and other clients, under `/api/v1/app`:
 * workspaces, leads with their score breakdown and history, the local mailbox, agents with
 * their executions, and documents with their index status. A secret key (or a dashboard
 * session) reads everything; a public token reads its workspace (`read:tags:workspace:<id>`).
 */
const ERRORS = {
  FORBIDDEN: 403,
  INVALID_INPUT: 400,
  WORKSPACE_NOT_FOUND: 404,
  PROSPECT_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  CRM_NOT_READY: 503,
};

async function readable(req: AppRouteRequest): Promise<string> {
  const workspaceId = req.params.workspaceId!;
  if (!req.auth.can("read", "tags", `workspace:${workspaceId}`)) {
    throw new CrmInputError("FORBIDDEN", `This access token cannot read workspace "${workspaceId}"`);
  }
  await getWorkspace(await crmStore(), workspaceId);
  return workspaceId;
}

function query<T>(schema: z.ZodType<T>, q: Record<string, string>): T {
  const parsed = schema.safeParse(q);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CrmInputError("INVALID_INPUT", `${issue?.path.join(".") || "query"}: ${issue?.message}`);
  }
  return parsed.data;
}

const limit = z.coerce.number().int().min(1).max(500).default(50);

export const workspacesRoute: AppRoute = {
  method: "GET",
  path: "/workspaces",
  errors: ERRORS,
  handler: async (req) => {
    const all = await listWorkspaces(await crmStore());
    return { data: all.filter((w) => req.auth.can("read", "tags", `workspace:${w.id}`)) };
  },
};

const STAGES = ["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost"] as const;

/** Leads by score (highest first), filtered by stage and a text match on name, email or company. */
export const prospectsRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/prospects",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const q = query(
      z.object({ stage: z.enum(STAGES).optional(), q: z.string().max(200).optional(), limit }),
      req.query,
    );
    const { rows } = await (await crmStore()).query(
      `select id, first_name as "firstName", last_name as "lastName", email, company, job_title as "jobTitle",
         stage, estimated_value::float8 as "estimatedValue", score, score_version as "scoreVersion",
         scored_at as "scoredAt", last_activity_at as "lastActivityAt"
       from crm_prospects
       where workspace_id = $1 and ($2::text is null or stage = $2)
         and ($3::text is null or concat_ws(' ', first_name, last_name, email, company) ilike '%' || $3 || '%')
       order by score desc nulls last, id limit $4`,
      [workspaceId, q.stage ?? null, q.q || null, q.limit],
    );
    return { data: rows };
  },
};

/** One lead: its current score with the per-factor breakdown, the score history, activities. */
export const prospectRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/prospects/:prospectId",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const db = await crmStore();
    const args = [workspaceId, req.params.prospectId];
    const { rows } = await db.query(
      `select id, first_name as "firstName", last_name as "lastName", email, phone, company, job_title as "jobTitle",
         stage, source, estimated_value::float8 as "estimatedValue", score, score_breakdown as "breakdown",
         score_version as "scoreVersion", scored_at as "scoredAt", last_activity_at as "lastActivityAt", created_at as "createdAt"
       from crm_prospects where workspace_id = $1 and id = $2`,
      args,
    );
    if (!rows[0]) {
      throw new CrmInputError("PROSPECT_NOT_FOUND", `Prospect "${req.params.prospectId}" does not exist`);
    }
    const history = await db.query(
      `select score, breakdown, version, run_id as "runId", scored_at as "scoredAt"
       from crm_score_history where workspace_id = $1 and prospect_id = $2 order by scored_at desc, id desc limit 50`,
      args,
    );
    const activities = await db.query(
      `select id, kind, occurred_at as "occurredAt", details from crm_activities
       where workspace_id = $1 and prospect_id = $2 order by occurred_at desc limit 50`,
      args,
    );
    return { prospect: rows[0], history: history.rows, activities: activities.rows };
  },
};

/** The local mailbox (what the default transport delivered), newest first, without bodies. */
export const mailboxRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/mailbox",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const q = query(z.object({ limit }), req.query);
    const { rows } = await (await crmStore()).query(
      `select m.id::text as id, message_id as "messageId", to_address as "to", subject, created_at as "createdAt"
       from crm_mailbox m where workspace_id = $1 order by m.id desc limit $2`,
      [workspaceId, q.limit],
    );
    return { data: rows };
  },
};

/** One stored message as sent (RFC 5322 text), with its headers split out. */
export const mailboxMessageRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/mailbox/:messageId",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const { rows } = await (await crmStore()).query<{ raw: string }>(
      `select id::text as id, message_id as "messageId", to_address as "to", subject, raw, created_at as "createdAt"
       from crm_mailbox where workspace_id = $1 and id::text = $2`,
      [workspaceId, req.params.messageId],
    );
    const message = rows[0];
    if (!message)
      throw new CrmInputError("MESSAGE_NOT_FOUND", `Message ${req.params.messageId} is not in the mailbox`);
    const split = message.raw.search(/\r?\n\r?\n/);
    const head = split === -1 ? message.raw : message.raw.slice(0, split);
    const headers = head
      .replace(/\r?\n[ \t]+/g, " ")
      .split(/\r?\n/)
      .map((line) => {
        const i = line.indexOf(":");
        return { name: line.slice(0, i), value: line.slice(i + 1).trim() };
      });
    const body = split === -1 ? "" : message.raw.slice(split).replace(/^\r?\n\r?\n/, "");
    return { message, headers, body };
  },
};

/** Agents with their stats, and their latest executions (each with its run id, for live output). */
export const agentsRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/agents",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const db = await crmStore();
    const agents = await db.query(
      `select a.id, a.name, a.status, a.model,
         (select count(*)::int from crm_agent_executions e where e.agent_id = a.id) as executions,
         (select coalesce(sum(e.total_tokens), 0)::int from crm_agent_executions e where e.agent_id = a.id) as "totalTokens"
       from crm_agents a where a.workspace_id = $1 order by a.name`,
      [workspaceId],
    );
    const executions = await db.query(
      `select id, agent_id as "agentId", run_id as "runId", status, model, total_tokens as "totalTokens",
         cost_usd::float8 as "costUsd", tool_calls as "toolCalls", error, started_at as "startedAt", duration_ms as "durationMs"
       from crm_agent_executions where workspace_id = $1 order by started_at desc limit 50`,
      [workspaceId],
    );
    return { agents: agents.rows, executions: executions.rows };
  },
};

/** Documents (knowledge items) with their index status; search is `…/search?q=`. */
export const documentsRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/documents",
  errors: ERRORS,
  handler: async (req) => {
    const workspaceId = await readable(req);
    const q = query(z.object({ limit }), req.query);
    const { rows } = await (await crmStore()).query(
      `select id, title, source, status, chunk_count as "chunks", index_error as "error", indexed_at as "indexedAt", updated_at as "updatedAt"
       from crm_knowledge_items where workspace_id = $1 order by updated_at desc, id limit $2`,
      [workspaceId, q.limit],
    );
    return { data: rows };
  },
};

export const viewRoutes: AppRoute[] = [
  workspacesRoute,
  prospectsRoute,
  prospectRoute,
  mailboxRoute,
  mailboxMessageRoute,
  agentsRoute,
  documentsRoute,
];
