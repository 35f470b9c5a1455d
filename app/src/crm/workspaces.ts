import type { CrmQueryable } from "../db/store.js";
import { CrmInputError } from "./errors.js";
import type { Tier } from "./tiers.js";

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  tier: Tier;
  isDemo: boolean;
}

const COLUMNS = 'id, name, slug, tier, is_demo as "isDemo"';

/** The workspace, or WORKSPACE_NOT_FOUND (not retried: a retry cannot create it). */
export async function getWorkspace(db: CrmQueryable, workspaceId: string): Promise<Workspace> {
  const { rows } = await db.query<Workspace>(`select ${COLUMNS} from crm_workspaces where id = $1`, [
    workspaceId,
  ]);
  if (!rows[0]) throw new CrmInputError("WORKSPACE_NOT_FOUND", `Workspace "${workspaceId}" does not exist`);
  return rows[0];
}

export async function listWorkspaces(db: CrmQueryable): Promise<Workspace[]> {
  const { rows } = await db.query<Workspace>(`select ${COLUMNS} from crm_workspaces order by created_at, id`);
  return rows;
}

export async function createWorkspace(
  db: CrmQueryable,
  ws: { id: string; name: string; slug: string; tier: Tier; isDemo?: boolean },
): Promise<Workspace> {
  const { rows } = await db.query<Workspace>(
    `insert into crm_workspaces (id, name, slug, tier, is_demo) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
    [ws.id, ws.name, ws.slug, ws.tier, ws.isDemo ?? false],
  );
  return rows[0]!;
}
