import type { CrmQueryable } from "../db/store.js";
import { newId } from "./ids.js";
import { documentHash } from "./indexing/chunk.js";

export interface NewDocument {
  title: string;
  content: string;
  source?: string;
}

/** Adds documents to a workspace (pending: the next bulk-index-documents picks them up). */
export async function createDocuments(
  db: CrmQueryable,
  workspaceId: string,
  docs: NewDocument[],
): Promise<string[]> {
  if (docs.length === 0) return [];
  const rows = docs.map((d) => ({
    id: newId("doc"),
    title: d.title,
    content: d.content,
    source: d.source ?? null,
    content_hash: documentHash(d.title, d.content),
  }));
  await db.query(
    `insert into crm_knowledge_items (id, workspace_id, title, content, source, content_hash)
     select r.id, $1, r.title, r.content, r.source, r.content_hash
     from jsonb_to_recordset($2::jsonb) as r(id text, title text, content text, source text, content_hash text)`,
    [workspaceId, JSON.stringify(rows)],
  );
  return rows.map((r) => r.id);
}

/** Replaces a document's text; it becomes pending again (its hash no longer matches the index). */
export async function updateDocument(
  db: CrmQueryable,
  workspaceId: string,
  itemId: string,
  doc: NewDocument,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update crm_knowledge_items set title = $3, content = $4, content_hash = $5, status = 'pending',
       index_error = null, updated_at = now()
     where workspace_id = $1 and id = $2`,
    [workspaceId, itemId, doc.title, doc.content, documentHash(doc.title, doc.content)],
  );
  return rowCount > 0;
}
