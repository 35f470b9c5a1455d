/**
 * `npm run crm -- <command>`: look at the CRM's data from a terminal.
 *
 *   workspaces                                   workspaces with their tier, leads and documents
 *   leads   --workspace <id|slug> [--limit 10]   top-scored leads with their score breakdown
 *   search  --workspace <id|slug> [--limit 5] <query...>   hybrid document search
 *
 * Add --json for machine-readable output. It opens the store as `npm start` does (DATABASE_URL,
 * or the embedded folder MAINSPRING_DATA_DIR, default ./.mainspring). An embedded folder can
 * be open in one process only: stop `npm start` first, or use PostgreSQL.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { openStore } from "@mainspring/engine";
import { CrmError, CrmInputError } from "../crm/errors.js";
import { searchDocuments } from "../crm/search/search.js";
import { migrateCrm } from "../db/migrations/index.js";
import type { CrmDb } from "../db/store.js";
import { mailCommand } from "./mail.js";

const USAGE = `usage: npm run crm -- <workspaces | leads --workspace W | search --workspace W <query...> | mail list|show <id> | campaigns | campaign <id>> [--limit N] [--json]`;

async function resolveWorkspace(db: CrmDb, ref: string | undefined): Promise<string> {
  if (!ref) throw new CrmInputError("INVALID_INPUT", `--workspace is required\n${USAGE}`);
  const { rows } = await db.query<{ id: string }>(
    "select id from crm_workspaces where id = $1 or slug = $1",
    [ref],
  );
  if (!rows[0]) throw new CrmInputError("WORKSPACE_NOT_FOUND", `No workspace with id or slug "${ref}"`);
  return rows[0].id;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      workspace: { type: "string", short: "w" },
      limit: { type: "string", short: "n" },
      json: { type: "boolean", default: false },
    },
  });
  const [command, ...rest] = positionals;
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new CrmInputError(
      "INVALID_INPUT",
      `--limit must be a positive whole number, got "${values.limit}"`,
    );
  }
  if (!command || !["workspaces", "leads", "search", "mail", "campaigns", "campaign"].includes(command)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const db = await openStore({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: resolve(process.env.MAINSPRING_DATA_DIR || ".mainspring"),
    schema: process.env.MAINSPRING_DB_SCHEMA || undefined,
    durable: process.env.MAINSPRING_DURABLE === "1",
    maxConnections: 2,
  });
  const print = (value: unknown, human: () => string) =>
    console.log(values.json ? JSON.stringify(value, null, 2) : human());
  try {
    await migrateCrm(db);
    if (command === "workspaces") {
      const { rows } = await db.query<{
        id: string;
        slug: string;
        tier: string;
        name: string;
        leads: number;
        scored: number;
        documents: number;
        indexed: number;
      }>(
        `select w.id, w.slug, w.tier, w.name,
           (select count(*)::int from crm_prospects p where p.workspace_id = w.id) as leads,
           (select count(score)::int from crm_prospects p where p.workspace_id = w.id) as scored,
           (select count(*)::int from crm_knowledge_items i where i.workspace_id = w.id) as documents,
           (select count(*)::int from crm_knowledge_items i where i.workspace_id = w.id and i.indexed_hash = i.content_hash) as indexed
         from crm_workspaces w order by w.created_at, w.id`,
      );
      print(rows, () =>
        rows.length === 0
          ? "No workspaces yet: `npm start` on an empty data folder seeds the demo ones."
          : rows
              .map(
                (w) =>
                  `${w.slug.padEnd(22)} ${w.tier.padEnd(12)} ${w.id}  leads ${w.scored}/${w.leads} scored, documents ${w.indexed}/${w.documents} indexed`,
              )
              .join("\n"),
      );
    } else if (command === "leads") {
      const workspaceId = await resolveWorkspace(db, values.workspace);
      const { rows } = await db.query<{
        id: string;
        name: string;
        company: string | null;
        score: number;
        breakdown: Array<{ factor: string; points: number; evidence: string }>;
      }>(
        `select id, concat_ws(' ', first_name, last_name) as name, company, score, score_breakdown as breakdown
         from crm_prospects where workspace_id = $1 and score is not null
         order by score desc, id limit $2`,
        [workspaceId, limit ?? 10],
      );
      print(
        rows,
        () =>
          rows
            .map(
              (p) =>
                `${String(p.score).padStart(3)}  ${p.name} (${p.company ?? "no company"})\n` +
                p.breakdown
                  .filter((f) => f.points > 0)
                  .map((f) => `       +${f.points} ${f.evidence}`)
                  .join("\n"),
            )
            .join("\n") || "No scored leads yet.",
      );
    } else if (command === "mail" || command === "campaigns" || command === "campaign") {
      const workspaceId = values.workspace ? await resolveWorkspace(db, values.workspace) : undefined;
      await mailCommand(db, command, rest, { workspaceId, limit }, print);
    } else {
      const workspaceId = await resolveWorkspace(db, values.workspace);
      const result = await searchDocuments({ workspaceId, query: rest.join(" "), limit: limit ?? 5 }, { db });
      print(result, () =>
        [
          `${result.hits.length} result(s) for "${result.query}" (vectors: ${result.vectorMode}, model ${result.embeddingModel})`,
          ...result.hits.map(
            (h, i) =>
              `${i + 1}. ${h.title}  [score ${h.score.toFixed(4)}, full-text #${h.fullTextRank ?? "-"}, vector #${h.vectorRank ?? "-"}]\n   ${h.heading}\n   ${h.snippet.replace(/\s+/g, " ")}`,
          ),
        ].join("\n"),
      );
    }
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  const code = error instanceof CrmError || error instanceof CrmInputError ? `${error.code}: ` : "";
  const storeCode = (error as { code?: string }).code === "STORE_LOCKED" ? "STORE_LOCKED: " : "";
  console.error(`crm: ${code || storeCode}${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
