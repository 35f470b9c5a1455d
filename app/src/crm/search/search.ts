import { z } from "zod";
import { type CrmDb, crmStore } from "../../db/store.js";
import { vectorSql } from "../../db/vector-mode.js";
import { type EmbeddingProvider, embeddingProviderFromEnv } from "../embeddings/provider.js";
import { toPgvector } from "../embeddings/vector.js";
import { CrmInputError } from "../errors.js";
import { getWorkspace } from "../workspaces.js";

export const searchInputSchema = z.object({
  workspaceId: z.string().min(1).max(128),
  query: z.string().trim().min(1).max(1_000),
  limit: z.number().int().min(1).max(50).default(10),
});
export type SearchInput = z.input<typeof searchInputSchema>;

export interface SearchHit {
  itemId: string;
  title: string;
  /** The best-matching chunk of the document: its heading path and an excerpt. */
  heading: string;
  snippet: string;
  /** Reciprocal rank fusion score of that chunk (higher is better). */
  score: number;
  /** The chunk's rank in each list, or null when it was not in the top candidates. */
  fullTextRank: number | null;
  vectorRank: number | null;
}

export interface SearchResult {
  workspaceId: string;
  query: string;
  /** How vectors were compared: pgvector, or real[] in SQL on a server without pgvector. */
  vectorMode: "pgvector" | "real[]";
  embeddingModel: string;
  hits: SearchHit[];
}

/** RRF's k: 60 as in Cormack et al.; it damps the weight of the very first ranks. */
export const RRF_K = 60;
/** Candidates taken from each list before fusion. */
export const CANDIDATES = 50;

/**
 * Hybrid search in one statement: a full-text list (any query word, ranked by ts_rank_cd,
 * title and headings weighted higher) and a vector list (cosine distance to the query's
 * embedding) over one workspace's chunks, fused by reciprocal rank, then the best chunk per
 * document. Every condition includes workspace_id: there is no path to another tenant's rows.
 */
const searchSql = (distance: string) => `
  with q as (
    select nullif(replace(plainto_tsquery('english', $3)::text, '&', '|'), '')::tsquery as tsq
  ), fts as (
    select c.id, row_number() over (order by ts_rank_cd(c.tsv, q.tsq) desc, c.id) as rank
    from crm_chunks c, q
    where c.workspace_id = $1 and q.tsq is not null and c.tsv @@ q.tsq
    order by rank limit ${CANDIDATES}
  ), vec as (
    select c.id, row_number() over (order by ${distance}, c.id) as rank
    from crm_chunks c
    where c.workspace_id = $1 and c.embedding_model = $2
    order by rank limit ${CANDIDATES}
  ), fused as (
    select id, sum(1.0 / (${RRF_K} + rank))::float8 as score, min(fts_rank) as fts_rank, min(vec_rank) as vec_rank
    from (
      select id, rank, rank as fts_rank, null::bigint as vec_rank from fts
      union all
      select id, rank, null, rank from vec
    ) u
    group by id
  ), best as (
    select distinct on (c.item_id) c.item_id, c.heading, c.content, f.score, f.fts_rank, f.vec_rank
    from fused f join crm_chunks c on c.id = f.id
    order by c.item_id, f.score desc
  )
  select b.item_id as "itemId", i.title, b.heading,
    ts_headline('english', b.content, coalesce((select tsq from q), ''::tsquery),
      'MaxWords=40, MinWords=15, StartSel=**, StopSel=**') as snippet,
    b.score, b.fts_rank::int as "fullTextRank", b.vec_rank::int as "vectorRank"
  from best b join crm_knowledge_items i on i.workspace_id = $1 and i.id = b.item_id
  order by b.score desc, b.item_id
  limit $5`;

/**
 * Searches one workspace's indexed documents (hybrid: full text + vectors, RRF). For the
 * HTTP API: authorise the caller for `workspaceId` before calling; this function trusts it.
 *
 * @throws CrmInputError INVALID_INPUT (bad input), WORKSPACE_NOT_FOUND
 * @throws CrmError EMBEDDING_FAILED (the provider failed on the query)
 */
export async function searchDocuments(
  input: SearchInput,
  deps: { db?: CrmDb; embedder?: EmbeddingProvider } = {},
): Promise<SearchResult> {
  const parsed = searchInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new CrmInputError(
      "INVALID_INPUT",
      `Search input: ${parsed.error.issues[0]?.message}`,
      parsed.error.issues,
    );
  }
  const { workspaceId, query, limit } = parsed.data;
  const db = deps.db ?? (await crmStore());
  const embedder = deps.embedder ?? embeddingProviderFromEnv();
  await getWorkspace(db, workspaceId);
  const [vector] = await embedder.embed([query]);
  const vsql = await vectorSql(db);
  const { rows } = await db.query<SearchHit>(searchSql(vsql.distance("$4")), [
    workspaceId,
    embedder.model,
    query,
    toPgvector(vector!),
    limit,
  ]);
  return {
    workspaceId,
    query,
    vectorMode: vsql.mode,
    embeddingModel: embedder.model,
    hits: rows.map((r) => ({ ...r, score: Number(r.score) })),
  };
}
