/**
 * Document indexing and hybrid search on both stores, with the real offline embedding model:
 * paraphrased questions find the right article, unchanged documents embed nothing, an empty
 * document or a failing provider leaves the previous index whole, and a workspace only ever
 * searches its own documents.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DOCUMENTS } from "../src/crm/demo/corpus.js";
import { createDocuments, updateDocument } from "../src/crm/documents.js";
import { localProvider } from "../src/crm/embeddings/local.js";
import type { EmbeddingProvider } from "../src/crm/embeddings/provider.js";
import { searchDocuments } from "../src/crm/search/search.js";
import type { Workspace } from "../src/crm/workspaces.js";
import type { CrmDb } from "../src/db/store.js";
import { bulkIndexDocumentsTask, indexDocumentTask, reindexAllDocumentsTask } from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, workspace } from "./helpers.js";

/** Counts what reaches the real model, to check what re-indexing embeds. */
function countingProvider(): EmbeddingProvider & { texts: number } {
  const inner = localProvider();
  const p = {
    model: inner.model,
    texts: 0,
    async embed(texts: string[]) {
      p.texts += texts.length;
      return inner.embed(texts);
    },
  };
  return p;
}

/** Paraphrases: few share the article's key words; the right article must come first. */
const QUESTIONS: Array<[string, string]> = [
  ["getting reimbursed after cancelling my plan", "Refund and cancellation policy"],
  ["is my data encrypted", "Security and data protection"],
  ["what certifications do you have for privacy", "Security and data protection"],
  ["sync contacts with another CRM", "Integrations: Salesforce, HubSpot and Slack"],
  ["my messages are flagged as spam", "Email deliverability troubleshooting"],
  ["how much does it cost for a big company", "Plans and pricing"],
  ["how to onboard my sales team", "Getting started: your first week"],
];

const chunkCount = async (db: CrmDb, ws: string) =>
  Number(
    (await db.query<{ n: string }>("select count(*) as n from crm_chunks where workspace_id = $1", [ws]))
      .rows[0]!.n,
  );

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`document indexing and search on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;
    let ws: Workspace;
    let ids: string[];

    beforeAll(async () => {
      ({ db, close } = await openCrm(store));
      ws = await workspace(db, "professional");
      ids = await createDocuments(db, ws.id, DEMO_DOCUMENTS);
    });
    afterAll(() => close?.());

    it("bulk-index-documents indexes every unindexed document through index-document children", async () => {
      const run = await finished((await bulkIndexDocumentsTask.trigger({ workspaceId: ws.id })).id, 120_000);
      expect(run.status).toBe("COMPLETED");
      const out = run.output as { documents: number; indexed: number; chunks: number; embedded: number };
      expect(out).toMatchObject({ documents: 6, indexed: 6, failed: 0 });
      expect(out.embedded).toBe(out.chunks);
      expect(await chunkCount(db, ws.id)).toBe(out.chunks);
      const items = await db.query<{ status: string; fresh: boolean }>(
        "select status, indexed_hash = content_hash as fresh from crm_knowledge_items where workspace_id = $1",
        [ws.id],
      );
      expect(items.rows.every((r) => r.status === "indexed" && r.fresh)).toBe(true);
      // Headings travel with the chunks.
      const headings = await db.query<{ heading: string }>(
        "select heading from crm_chunks where workspace_id = $1 and heading like 'Refund and cancellation policy > %'",
        [ws.id],
      );
      expect(headings.rows.map((r) => r.heading)).toContain("Refund and cancellation policy > Refunds");
      // Nothing left to index: a second bulk run finds nothing.
      const again = await finished((await bulkIndexDocumentsTask.trigger({ workspaceId: ws.id })).id);
      expect(again.output).toMatchObject({ documents: 0 });
    });

    it.each(QUESTIONS)("search %j finds %j first", async (query, title) => {
      const result = await searchDocuments({ workspaceId: ws.id, query, limit: 3 }, { db });
      expect(result.vectorMode).toBe(store.name === "pglite" ? "pgvector" : await serverVectorMode(db));
      expect(result.hits[0]?.title).toBe(title);
    });

    it("re-indexing unchanged documents embeds nothing, with or without force; a changed document embeds only its changed chunks", async () => {
      const embedder = countingProvider();
      const { indexDocument } = await import("../src/crm/indexing/store.js");
      const before = await chunkCount(db, ws.id);
      for (const id of ids) {
        const r = await indexDocument(db, embedder, { workspaceId: ws.id, itemId: id });
        expect(r.status).toBe("unchanged");
      }
      for (const id of ids) {
        const r = await indexDocument(db, embedder, { workspaceId: ws.id, itemId: id, force: true });
        expect(r).toMatchObject({ status: "indexed", embedded: 0 });
      }
      expect(embedder.texts).toBe(0);
      expect(await chunkCount(db, ws.id)).toBe(before);

      // Change one section of the pricing article: only the chunks of that section change.
      const pricing = DEMO_DOCUMENTS[5]!;
      const content = pricing.content.replace(
        "starting at 25,000 dollars a year",
        "starting at 30,000 dollars a year",
      );
      await updateDocument(db, ws.id, ids[5]!, { title: pricing.title, content });
      const r = await indexDocument(db, embedder, { workspaceId: ws.id, itemId: ids[5]! });
      expect(r.status).toBe("indexed");
      expect(r.embedded).toBeGreaterThanOrEqual(1);
      expect(r.embedded).toBeLessThan(r.chunks);
      expect(embedder.texts).toBe(r.embedded);
      const hit = await searchDocuments(
        { workspaceId: ws.id, query: "30,000 dollars a year", limit: 1 },
        { db },
      );
      expect(hit.hits[0]?.itemId).toBe(ids[5]);

      // reindex-all-documents re-indexes (force) without re-embedding unchanged chunks.
      const all = await finished((await reindexAllDocumentsTask.trigger({ workspaceId: ws.id })).id);
      const [bulkId] = (all.output as { runs: string[] }).runs;
      const bulk = await finished(bulkId!, 60_000);
      expect(bulk.output).toMatchObject({ documents: 6, indexed: 6, embedded: 0 });
    });

    it("an empty document fails at once (DOCUMENT_EMPTY) and stops being searchable", async () => {
      const other = await workspace(db, "starter");
      const [id] = await createDocuments(db, other.id, [
        { title: "Holiday rota", content: "Who covers support over the winter holidays: Ada then Grace." },
      ]);
      expect(
        (await finished((await indexDocumentTask.trigger({ workspaceId: other.id, itemId: id! })).id)).status,
      ).toBe("COMPLETED");
      expect(await chunkCount(db, other.id)).toBeGreaterThan(0);
      await updateDocument(db, other.id, id!, { title: "Holiday rota", content: "  \n " });
      const run = await finished(
        (await indexDocumentTask.trigger({ workspaceId: other.id, itemId: id! })).id,
      );
      expect(run.status).toBe("FAILED");
      expect(run.attemptCount).toBe(1);
      expect(run.error).toMatchObject({ code: "DOCUMENT_EMPTY" });
      expect(await chunkCount(db, other.id)).toBe(0);
      const item = (
        await db.query<{ status: string }>("select status from crm_knowledge_items where id = $1", [id])
      ).rows[0]!;
      expect(item.status).toBe("failed");
      const unknown = await finished(
        (await indexDocumentTask.trigger({ workspaceId: other.id, itemId: "doc_nope" })).id,
      );
      expect(unknown.error).toMatchObject({ code: "DOCUMENT_NOT_FOUND" });
    });

    it("a failing embedding provider is retried, then fails, leaving the previous index whole", async () => {
      let calls = 0;
      const server: Server = createServer((req, res) => {
        calls++;
        req.resume();
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":"overloaded"}');
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const { port } = server.address() as AddressInfo;
      const before = await db.query(
        "select id, content_hash from crm_chunks where workspace_id = $1 order by id",
        [ws.id],
      );
      await updateDocument(db, ws.id, ids[0]!, {
        title: "Refund and cancellation policy",
        content: "Refunds are now handled by our partner.",
      });
      process.env.MAINSPRING_EMBEDDINGS_URL = `http://127.0.0.1:${port}/v1`;
      process.env.MAINSPRING_EMBEDDINGS_MODEL = "test-model";
      try {
        const run = await finished(
          (await indexDocumentTask.trigger({ workspaceId: ws.id, itemId: ids[0]! }, { maxAttempts: 2 })).id,
          30_000,
        );
        expect(run.status).toBe("FAILED");
        expect(run.attemptCount).toBe(2);
        expect(run.error).toMatchObject({ code: "EMBEDDING_FAILED" });
        expect(calls).toBe(2);
      } finally {
        delete process.env.MAINSPRING_EMBEDDINGS_URL;
        delete process.env.MAINSPRING_EMBEDDINGS_MODEL;
        server.close();
      }
      const after = await db.query(
        "select id, content_hash from crm_chunks where workspace_id = $1 order by id",
        [ws.id],
      );
      expect(after.rows).toEqual(before.rows);
      const item = (
        await db.query<{ stale: boolean }>(
          "select indexed_hash <> content_hash as stale from crm_knowledge_items where id = $1",
          [ids[0]],
        )
      ).rows[0]!;
      expect(item.stale).toBe(true); // still pending: the next bulk run picks it up
    });

    it("search is scoped to one workspace and validates its input", async () => {
      const empty = await workspace(db, "enterprise");
      const none = await searchDocuments({ workspaceId: empty.id, query: "is my data encrypted" }, { db });
      expect(none.hits).toEqual([]);
      await expect(searchDocuments({ workspaceId: "ws_nope", query: "x" }, { db })).rejects.toMatchObject({
        code: "WORKSPACE_NOT_FOUND",
      });
      await expect(searchDocuments({ workspaceId: ws.id, query: "   " }, { db })).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
    });
  });
}

async function serverVectorMode(db: CrmDb): Promise<string> {
  const { rows } = await db.query<{ available: boolean }>(
    "select exists (select 1 from pg_available_extensions where name = 'vector') as available",
  );
  return rows[0]?.available ? "pgvector" : "real[]";
}
