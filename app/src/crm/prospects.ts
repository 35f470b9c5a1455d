import type { CrmQueryable } from "../db/store.js";
import { newId } from "./ids.js";

export const STAGES = ["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost"] as const;
export type Stage = (typeof STAGES)[number];

export interface NewProspect {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  company?: string | null;
  jobTitle?: string | null;
  estimatedValue?: number | null;
  stage?: Stage;
  source?: string | null;
  lastActivityAt?: Date | string | null;
}

/**
 * Inserts prospects of one workspace in one statement (a JSON array expanded by the server),
 * so seeding 100,000 leads costs tens of round trips, not 100,000. Returns the new ids in order.
 */
export async function insertProspects(
  db: CrmQueryable,
  workspaceId: string,
  prospects: NewProspect[],
): Promise<string[]> {
  if (prospects.length === 0) return [];
  const rows = prospects.map((p) => ({
    id: newId("pr"),
    first_name: p.firstName ?? null,
    last_name: p.lastName ?? null,
    email: p.email ?? null,
    phone: p.phone ?? null,
    company: p.company ?? null,
    job_title: p.jobTitle ?? null,
    estimated_value: p.estimatedValue ?? null,
    stage: p.stage ?? "new",
    source: p.source ?? null,
    last_activity_at:
      p.lastActivityAt instanceof Date ? p.lastActivityAt.toISOString() : (p.lastActivityAt ?? null),
  }));
  await db.query(
    `insert into crm_prospects (id, workspace_id, first_name, last_name, email, phone, company, job_title,
       estimated_value, stage, source, last_activity_at)
     select r.id, $1, r.first_name, r.last_name, r.email, r.phone, r.company, r.job_title,
       r.estimated_value, r.stage, r.source, r.last_activity_at
     from jsonb_to_recordset($2::jsonb) as r(id text, first_name text, last_name text, email text, phone text,
       company text, job_title text, estimated_value numeric, stage text, source text, last_activity_at timestamptz)`,
    [workspaceId, JSON.stringify(rows)],
  );
  return rows.map((r) => r.id);
}

/** Records an activity and moves the prospect's last_activity_at forward (never back). */
export async function recordActivity(
  db: CrmQueryable,
  a: { workspaceId: string; prospectId: string; kind: string; occurredAt?: Date; details?: object },
): Promise<string> {
  const id = newId("act");
  await db.query(
    `with a as (
       insert into crm_activities (id, workspace_id, prospect_id, kind, occurred_at, details)
       values ($1, $2, $3, $4, coalesce($5::timestamptz, now()), $6::jsonb) returning prospect_id, occurred_at)
     update crm_prospects p set last_activity_at = greatest(p.last_activity_at, a.occurred_at), updated_at = now()
     from a where p.workspace_id = $2 and p.id = a.prospect_id`,
    [
      id,
      a.workspaceId,
      a.prospectId,
      a.kind,
      a.occurredAt?.toISOString() ?? null,
      JSON.stringify(a.details ?? {}),
    ],
  );
  return id;
}
