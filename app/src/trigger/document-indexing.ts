import { idempotencyKeys, schemaTask, step } from "@mainspring/sdk";
import { z } from "zod";
import { embeddingProviderFromEnv } from "../crm/embeddings/provider.js";
import { documentsToIndex, indexDocument } from "../crm/indexing/store.js";
import { reportBatchProgress } from "../crm/progress.js";
import { getWorkspace, listWorkspaces } from "../crm/workspaces.js";
import { crmStore } from "../db/store.js";
import { buildWorkspaceQueueOptions, standardTierQueue, systemJobsQueue } from "./queues.js";

const id = z.string().min(1).max(128);

/**
 * Indexes one document: chunks, embeddings (only for chunks not embedded before), full-text
 * vectors. A provider failure is retried with backoff; an unknown or empty document fails at
 * once. Either way the document's previous index stays whole.
 */
export const indexDocumentTask = schemaTask({
  id: "index-document",
  schema: z.object({ itemId: id, workspaceId: id, force: z.boolean().default(false) }),
  queue: standardTierQueue,
  run: async (payload) => indexDocument(await crmStore(), embeddingProviderFromEnv(), payload),
});

/** Children per batch: the engine's batch limit. */
const BATCH = 1_000;

/**
 * Indexes a workspace's documents that changed or were never indexed (all with `force`), one
 * `index-document` child per document on the workspace's tier queue, and waits for them
 * without holding a slot. The list is taken in a step so a replay after the wait sees the same
 * list (the children have changed what the query would return by then).
 */
export const bulkIndexDocumentsTask = schemaTask({
  id: "bulk-index-documents",
  schema: z.object({ workspaceId: id, force: z.boolean().default(false) }),
  queue: standardTierQueue,
  run: async (payload) => {
    const { tier, ids } = await step.run("select-documents", async () => {
      const db = await crmStore();
      const ws = await getWorkspace(db, payload.workspaceId);
      return { tier: ws.tier, ids: await documentsToIndex(db, payload.workspaceId, payload.force) };
    });
    const totals = {
      documents: ids.length,
      indexed: 0,
      unchanged: 0,
      failed: 0,
      chunks: 0,
      embedded: 0,
      reused: 0,
    };
    const failures: Array<{ itemId: string; error: string }> = [];
    await reportBatchProgress({
      operation: "index-documents",
      workspaceId: payload.workspaceId,
      done: 0,
      total: ids.length,
    });
    for (let i = 0; i < ids.length; i += BATCH) {
      const slice = ids.slice(i, i + BATCH);
      const result = await indexDocumentTask.batchTriggerAndWait(
        slice.map((itemId) => ({
          payload: { itemId, workspaceId: payload.workspaceId, force: payload.force },
          options: buildWorkspaceQueueOptions(payload.workspaceId, tier, "document-index", [
            `entity:${itemId}`,
          ]),
        })),
      );
      result.runs.forEach((run, j) => {
        if (run.ok) {
          totals[run.output.status === "indexed" ? "indexed" : "unchanged"]++;
          totals.chunks += run.output.chunks;
          totals.embedded += run.output.embedded;
          totals.reused += run.output.reused;
        } else {
          totals.failed++;
          failures.push({
            itemId: slice[j]!,
            error: (run.error as { message?: string })?.message ?? String(run.error),
          });
        }
      });
      await reportBatchProgress({
        operation: "index-documents",
        workspaceId: payload.workspaceId,
        done: Math.min(ids.length, i + BATCH),
        total: ids.length,
      });
    }
    return { workspaceId: payload.workspaceId, ...totals, failures: failures.slice(0, 20) };
  },
});

/**
 * Re-indexes every document of one workspace, or of every workspace (one bulk run each, on
 * its tier's queue). Chunks whose text did not change keep their embeddings (same hash, same
 * model): a forced re-index re-embeds only what changed, or everything after a model change.
 */
export const reindexAllDocumentsTask = schemaTask({
  id: "reindex-all-documents",
  schema: z.object({ workspaceId: id.optional() }),
  queue: systemJobsQueue,
  run: async (payload) => {
    const db = await crmStore();
    const workspaces = payload.workspaceId
      ? [await getWorkspace(db, payload.workspaceId)]
      : await listWorkspaces(db);
    const runs: string[] = [];
    for (let i = 0; i < workspaces.length; i += BATCH) {
      const items = await Promise.all(
        workspaces.slice(i, i + BATCH).map(async (ws) => ({
          payload: { workspaceId: ws.id, force: true },
          options: {
            ...buildWorkspaceQueueOptions(ws.id, ws.tier, "document-reindex"),
            // A retry of this run must not start a second re-index of the same workspace.
            idempotencyKey: await idempotencyKeys.create(["reindex", ws.id]),
          },
        })),
      );
      if (items.length === 0) break;
      const batch = await bulkIndexDocumentsTask.batchTrigger(items);
      runs.push(...batch.runs.map((r) => r.id));
    }
    return { workspaces: workspaces.length, runs };
  },
});
