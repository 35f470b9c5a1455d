import type { CrmDb, CrmQueryable } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { getWorkspace } from "../workspaces.js";
import { type LeadFacts, type LeadScore, SCORING_VERSION, scoreLead } from "./score.js";

/** The columns scoring reads, with the database clock (`now()`) so every worker agrees on "recent". */
const FACTS = `p.id, p.email, p.phone, p.company, p.job_title as "jobTitle",
  p.estimated_value::float8 as "estimatedValue", p.stage, p.last_activity_at as "lastActivityAt"`;

type FactsRow = LeadFacts & { id: string };

/**
 * Writes scores and their history rows in one statement: the update and the history insert
 * commit together or not at all, so a lead never has a score without the row that explains it.
 */
const WRITE_SCORES = `
  with v as (
    select * from json_to_recordset($2::json) as v(id text, score integer, breakdown jsonb)
  ), u as (
    update crm_prospects p
    set score = v.score, score_breakdown = v.breakdown, score_version = $3, scored_at = $4, updated_at = now()
    from v where p.workspace_id = $1 and p.id = v.id
    returning p.id, v.score, v.breakdown
  )
  insert into crm_score_history (workspace_id, prospect_id, score, breakdown, version, run_id, scored_at)
  select $1, u.id, u.score, u.breakdown, $3, $5, $4 from u`;

function toFacts(row: FactsRow): LeadFacts {
  return {
    ...row,
    estimatedValue: row.estimatedValue === null ? null : Number(row.estimatedValue),
    lastActivityAt: row.lastActivityAt ? new Date(row.lastActivityAt) : null,
  };
}

async function writeScores(
  tx: CrmQueryable,
  workspaceId: string,
  scored: Array<{ id: string; result: LeadScore }>,
  now: Date,
  runId: string | null,
): Promise<number> {
  const payload = scored.map((s) => ({ id: s.id, score: s.result.score, breakdown: s.result.factors }));
  const { rowCount } = await tx.query(WRITE_SCORES, [
    workspaceId,
    JSON.stringify(payload),
    SCORING_VERSION,
    now.toISOString(),
    runId,
  ]);
  return rowCount;
}

/** Scores one lead of a workspace: lock, score, write score + history, in one transaction. */
export async function scoreProspect(
  db: CrmDb,
  input: { workspaceId: string; prospectId: string; runId?: string },
): Promise<LeadScore & { prospectId: string; scoredAt: string }> {
  await getWorkspace(db, input.workspaceId);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<FactsRow & { now: Date }>(
      `select ${FACTS}, now() as now from crm_prospects p where p.workspace_id = $1 and p.id = $2 for update`,
      [input.workspaceId, input.prospectId],
    );
    const row = rows[0];
    if (!row) {
      throw new CrmInputError(
        "PROSPECT_NOT_FOUND",
        `Prospect "${input.prospectId}" does not exist in workspace "${input.workspaceId}"`,
      );
    }
    const now = new Date(row.now);
    const result = scoreLead(toFacts(row), now);
    await writeScores(tx, input.workspaceId, [{ id: row.id, result }], now, input.runId ?? null);
    return { ...result, prospectId: row.id, scoredAt: now.toISOString() };
  });
}

export interface BulkScoreProgress {
  scored: number;
  total: number;
}

export interface BulkScoreResult {
  workspaceId: string;
  scored: number;
  pages: number;
  /** Score distribution of what this run scored: how many leads fell in each band of 20 points. */
  histogram: Record<string, number>;
}

/**
 * Scores a workspace's leads set-based: pages of `pageSize` leads read in id order (keyset,
 * so each page is an index range), scored in memory by the same pure function as one lead,
 * and written back with one statement per page. One round trip reads and one writes a page,
 * whatever its size. Each page commits on its own: a crash mid-way keeps the pages done, and
 * the rerun (only unscored leads) continues from there.
 *
 * `all: false` scores leads never scored or scored by an older SCORING_VERSION.
 */
export async function scoreWorkspace(
  db: CrmDb,
  input: {
    workspaceId: string;
    all: boolean;
    pageSize?: number;
    runId?: string;
    onProgress?: (p: BulkScoreProgress) => void | Promise<void>;
  },
): Promise<BulkScoreResult> {
  await getWorkspace(db, input.workspaceId);
  const pageSize = input.pageSize ?? 2_000;
  const pending = input.all ? "" : `and (p.score_version is null or p.score_version <> ${SCORING_VERSION})`;
  const head = await db.query<{ total: string; now: Date }>(
    `select count(*) as total, now() as now from crm_prospects p where p.workspace_id = $1 ${pending}`,
    [input.workspaceId],
  );
  const total = Number(head.rows[0]!.total);
  // One clock for the whole run: two leads with the same facts get the same score.
  const now = new Date(head.rows[0]!.now);
  const histogram: Record<string, number> = {};
  let scored = 0;
  let pages = 0;
  await input.onProgress?.({ scored, total });
  const readPage = (after: string) =>
    db.query<FactsRow>(
      `select ${FACTS} from crm_prospects p
       where p.workspace_id = $1 and p.id > $2 ${pending}
       order by p.id limit $3`,
      [input.workspaceId, after, pageSize],
    );
  // Reads run one page ahead of writes: on PostgreSQL the next page's read overlaps this page's
  // write (two pool connections). The cursor is the last id read, so writes cannot move it.
  const ahead = (after: string) => {
    const page = readPage(after);
    page.catch(() => {}); // awaited below; if a write fails first, this rejection is not lost noise
    return page;
  };
  let next = ahead("");
  for (;;) {
    const { rows } = await next;
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!.id;
    if (rows.length === pageSize) next = ahead(last);
    const results = rows.map((row) => ({ id: row.id, result: scoreLead(toFacts(row), now) }));
    // One statement: the page's scores and history rows commit together.
    scored += await writeScores(db, input.workspaceId, results, now, input.runId ?? null);
    for (const r of results) {
      const low = Math.floor(r.result.score / 20) * 20;
      const band = `${low}-${low + 19}`;
      histogram[band] = (histogram[band] ?? 0) + 1;
    }
    pages++;
    await input.onProgress?.({ scored, total: Math.max(total, scored) });
    // PGlite answers in-process through promise callbacks only: without a macrotask turn, no
    // timer fires until the whole run ends, the lease heartbeat included. The rescuer (also a
    // timer) can then win the race with the completion and start a second attempt: the likely
    // cause of a 100,000-lead bench run whose output said 0 scored (attempt 2 found none left).
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (rows.length < pageSize) break;
  }
  return { workspaceId: input.workspaceId, scored, pages, histogram };
}
