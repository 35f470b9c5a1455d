import type { CrmDb } from "../../db/store.js";
import { vectorSql } from "../../db/vector-mode.js";
import type { EmbeddingProvider } from "../embeddings/provider.js";
import { toPgvector } from "../embeddings/vector.js";
import { CrmError, CrmInputError } from "../errors.js";
import { getWorkspace } from "../workspaces.js";
import { chunkDocument } from "./chunk.js";

export interface IndexResult {
  itemId: string;
  status: "indexed" | "unchanged";
  chunks: number;
  /** Chunks sent to the embedding model. */
  embedded: number;
  /** Chunks whose embedding was reused from an identical chunk (same hash, same model). */
  reused: number;
}

interface ItemRow {
  id: string;
  title: string;
  content: string;
  content_hash: string;
  indexed_hash: string | null;
}

/**
 * Indexes one document: chunk, embed only chunks whose hash has no embedding yet in this
 * workspace for this model, then replace the document's chunks and mark it indexed in one
 * transaction. Embedding happens before the transaction: a failing provider leaves the
 * document's previous chunks (and status) as they were.
 */
export async function indexDocument(
  db: CrmDb,
  embedder: EmbeddingProvider,
  input: { workspaceId: string; itemId: string; force?: boolean },
): Promise<IndexResult> {
  await getWorkspace(db, input.workspaceId);
  const { rows } = await db.query<ItemRow>(
    "select id, title, content, content_hash, indexed_hash from crm_knowledge_items where workspace_id = $1 and id = $2",
    [input.workspaceId, input.itemId],
  );
  const item = rows[0];
  if (!item) {
    throw new CrmInputError(
      "DOCUMENT_NOT_FOUND",
      `Document "${input.itemId}" does not exist in workspace "${input.workspaceId}"`,
    );
  }
  if (item.content.trim() === "") {
    // An emptied document must not stay searchable by its old text: drop its chunks.
    await db.transaction(async (tx) => {
      await tx.query("delete from crm_chunks where workspace_id = $1 and item_id = $2", [
        input.workspaceId,
        item.id,
      ]);
      await tx.query(
        `update crm_knowledge_items set status = 'failed', chunk_count = 0, indexed_hash = null,
           index_error = 'DOCUMENT_EMPTY: the document has no text', updated_at = now()
         where workspace_id = $1 and id = $2 and content_hash = $3`,
        [input.workspaceId, item.id, item.content_hash],
      );
    });
    throw new CrmInputError("DOCUMENT_EMPTY", `Document "${item.id}" has no text to index`);
  }
  if (!input.force && item.indexed_hash === item.content_hash) {
    const count = await db.query<{ n: string }>("select count(*) as n from crm_chunks where item_id = $1", [
      item.id,
    ]);
    return { itemId: item.id, status: "unchanged", chunks: Number(count.rows[0]!.n), embedded: 0, reused: 0 };
  }

  const chunks = chunkDocument(item.title, item.content);
  const vsql = await vectorSql(db);
  const known = await db.query<{ content_hash: string; embedding: string }>(
    `select distinct on (content_hash) content_hash, embedding::text as embedding from crm_chunks
     where workspace_id = $1 and embedding_model = $2 and content_hash = any($3::text[])`,
    [input.workspaceId, embedder.model, chunks.map((c) => c.hash)],
  );
  // pgvector prints "[a,b]", real[] prints "{a,b}": keep one text form, pgvector's.
  const byHash = new Map(known.rows.map((r) => [r.content_hash, `[${r.embedding.slice(1, -1)}]`]));
  const missing = chunks.filter((c) => !byHash.has(c.hash));
  const uniqueMissing = [...new Map(missing.map((c) => [c.hash, c])).values()];
  const vectors = await embedder.embed(uniqueMissing.map((c) => `${c.heading}\n${c.content}`));
  if (vectors.length !== uniqueMissing.length) {
    throw new CrmError(
      "EMBEDDING_FAILED",
      `The embedder returned ${vectors.length} vectors for ${uniqueMissing.length} texts`,
    );
  }
  for (const [i, c] of uniqueMissing.entries()) byHash.set(c.hash, toPgvector(vectors[i]!));

  const rowsJson = JSON.stringify(
    chunks.map((c) => ({
      ordinal: c.ordinal,
      heading: c.heading,
      content: c.content,
      content_hash: c.hash,
      embedding: byHash.get(c.hash)!,
    })),
  );
  await db.transaction(async (tx) => {
    // Lock the document and check it did not change while we embedded; if it did, this
    // attempt's chunks are stale: fail (retryable) and let the next attempt index the new text.
    const locked = await tx.query<{ content_hash: string }>(
      "select content_hash from crm_knowledge_items where workspace_id = $1 and id = $2 for update",
      [input.workspaceId, item.id],
    );
    if (locked.rows[0]?.content_hash !== item.content_hash) {
      throw new CrmError(
        "INVALID_INPUT",
        `Document "${item.id}" changed while it was being indexed; retrying`,
      );
    }
    await tx.query("delete from crm_chunks where workspace_id = $1 and item_id = $2", [
      input.workspaceId,
      item.id,
    ]);
    await tx.query(
      `insert into crm_chunks (workspace_id, item_id, ordinal, heading, content, content_hash, embedding_model, embedding)
       select $1, $2, r.ordinal, r.heading, r.content, r.content_hash, $3, ${vsql.cast("r.embedding")}
       from jsonb_to_recordset($4::jsonb) as r(ordinal integer, heading text, content text, content_hash text, embedding text)`,
      [input.workspaceId, item.id, embedder.model, rowsJson],
    );
    await tx.query(
      `update crm_knowledge_items set status = 'indexed', indexed_hash = content_hash, chunk_count = $3,
         index_error = null, indexed_at = now(), updated_at = now()
       where workspace_id = $1 and id = $2`,
      [input.workspaceId, item.id, chunks.length],
    );
  });
  return {
    itemId: item.id,
    status: "indexed",
    chunks: chunks.length,
    embedded: uniqueMissing.length,
    reused: chunks.length - uniqueMissing.length,
  };
}

/** Ids of a workspace's documents to index: changed or never indexed, or all with `force`. */
export async function documentsToIndex(db: CrmDb, workspaceId: string, force: boolean): Promise<string[]> {
  await getWorkspace(db, workspaceId);
  const { rows } = await db.query<{ id: string }>(
    `select id from crm_knowledge_items where workspace_id = $1
     ${force ? "" : "and indexed_hash is distinct from content_hash and status <> 'failed'"}
     order by created_at, id`,
    [workspaceId],
  );
  return rows.map((r) => r.id);
}
