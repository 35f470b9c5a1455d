import type { BatchItem } from "@mainspring/sdk";
import { Hono } from "hono";
import { ulid } from "ulid";
import { z } from "zod";
import { forbidden } from "../auth/middleware.js";
import type { AppEnv, Principal, ServerContext } from "../context.js";
import { readJson, readText } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import { toTriggerOptions, wireTriggerOptions } from "../http/trigger-body.js";
import { publicTriggerOptions, scopedKey } from "./public-triggers.js";
import { attachHandleToken, wirePayload } from "./tasks.js";

const MAX_BATCH_ITEMS = 1000;

const createBatchBody = z.object({
  runCount: z.number().int().positive(),
  taskIdentifiers: z.array(z.string().min(1)).optional(),
  parentRunId: z.string().optional(),
  resumeParentOnCompletion: z.boolean().optional(),
  idempotencyKey: z.string().max(2048).optional(),
});

const batchLine = z.object({
  index: z.number().int().nonnegative(),
  task: z.string().min(1),
  payload: z.unknown().optional(),
  options: wireTriggerOptions.optional(),
});

interface BatchRequestRow {
  id: string;
  run_count: number;
  idempotency_key: string | null;
  sealed_at: Date | null;
  created_at: Date;
}

/** Another request sealed the batch first (its runs exist): this one is a duplicate. */
class AlreadySealed extends Error {}

function checkBatchTrigger(principal: Principal, tasks: string[]): void {
  if (principal.kind === "secret") return;
  for (const task of tasks)
    if (!principal.grants.canBatchTrigger(task)) throw forbidden(`batch-triggering "${task}"`);
}

/**
 * The official client's two-phase batch: `POST /api/v3/batches` creates it with its size,
 * `POST /api/v3/batches/:id/items` streams the items as NDJSON. All the runs are inserted in
 * one transaction once every item has arrived, so a batch is all there or not at all.
 */
export function batchRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const db = ctx.engine.db;

  app.post("/api/v3/batches", async (c) => {
    const body = await readJson(c, createBatchBody, ctx.limits.maxBodyBytes);
    const principal = c.get("principal");
    if (principal.kind === "public") {
      if (!body.taskIdentifiers) throw forbidden("a batch without declared tasks");
      if (principal.oneTimeUse) throw forbidden("batches (a one-time token triggers one run)");
    }
    checkBatchTrigger(principal, body.taskIdentifiers ?? []);
    if (body.runCount > MAX_BATCH_ITEMS) {
      throw new HttpError(
        400,
        "BATCH_TOO_LARGE",
        `A batch can have at most ${MAX_BATCH_ITEMS} items; this one has ${body.runCount}. Split it.`,
      );
    }
    // a public caller's batch keys are its own (see public-triggers.ts)
    const key =
      body.idempotencyKey === undefined
        ? null
        : principal.kind === "public"
          ? scopedKey(principal, body.idempotencyKey)
          : body.idempotencyKey;
    const row = await createBatchRequest(`batch_${ulid().toLowerCase()}`, body.runCount, key);
    await attachHandleToken(c, ctx, [`read:batch:${row.id}`]);
    return c.json({
      id: row.id,
      runCount: row.run_count,
      isCached: !row.inserted,
      idempotencyKey: body.idempotencyKey,
    });
  });

  /** Inserts the batch header, or finds the one holding the key (retrying past a concurrent insert). */
  async function createBatchRequest(id: string, runCount: number, key: string | null) {
    for (let attempt = 0; ; attempt++) {
      const { rows } = await db.query<BatchRequestRow & { inserted: boolean }>(
        `with ins as (
           insert into ms_batch_requests (id, run_count, idempotency_key) values ($1, $2, $3)
           on conflict (idempotency_key) do nothing returning *, true as inserted)
         select * from ins
         union all
         select *, false as inserted from ms_batch_requests where idempotency_key = $3 and not exists (select 1 from ins)`,
        [id, runCount, key],
      );
      // a concurrent insert of the same key commits after this statement's snapshot: look again
      if (rows[0]) return rows[0];
      if (attempt >= 5) throw new HttpError(503, "BUSY", "The batch could not be created; retry");
    }
  }

  app.post("/api/v3/batches/:batchId/items", async (c) => {
    const batchId = c.req.param("batchId");
    const principal = c.get("principal");
    // refuse before reading a possibly large body
    if (
      principal.kind === "public" &&
      !principal.grants.hasAny("batchTrigger", "tasks") &&
      !principal.grants.hasAny("trigger", "tasks")
    ) {
      throw forbidden("batch-triggering");
    }
    const { rows } = await db.query<BatchRequestRow>("select * from ms_batch_requests where id = $1", [
      batchId,
    ]);
    const batch = rows[0];
    if (!batch) throw new HttpError(404, "BATCH_NOT_FOUND", `Batch "${batchId}" does not exist`);
    if (batch.sealed_at) {
      return c.json({ id: batchId, itemsAccepted: 0, itemsDeduplicated: batch.run_count, sealed: true });
    }
    const text = await readText(c, ctx.limits.maxBodyBytes * 8);
    const items = parseItems(text, batch.run_count);
    checkBatchTrigger(
      principal,
      items.map((item) => item.task),
    );
    if (items.length < batch.run_count) {
      return c.json({
        id: batchId,
        itemsAccepted: 0,
        itemsDeduplicated: 0,
        sealed: false,
        enqueuedCount: 0,
        expectedCount: batch.run_count,
      });
    }
    // Everything is decoded and checked before anything is written; then the seal and the
    // runs commit together, so a batch is sealed exactly when its runs exist.
    const prepared: Array<{ task: string } & BatchItem<unknown>> = [];
    for (const item of items) {
      const options = toTriggerOptions(item.options);
      prepared.push({
        task: item.task,
        payload: await wirePayload(ctx, item.payload, item.options?.payloadType),
        options: principal.kind === "public" ? publicTriggerOptions(principal, options) : options,
      });
    }
    try {
      await ctx.engine.batchTrigger(prepared, {
        batchId,
        inTransaction: async (tx) => {
          const sealed = await tx.query(
            "update ms_batch_requests set sealed_at = now() where id = $1 and sealed_at is null",
            [batchId],
          );
          if (sealed.rowCount === 0) throw new AlreadySealed();
        },
      });
    } catch (error) {
      if (error instanceof AlreadySealed) {
        return c.json({ id: batchId, itemsAccepted: 0, itemsDeduplicated: items.length, sealed: true });
      }
      throw error;
    }
    return c.json({ id: batchId, itemsAccepted: items.length, itemsDeduplicated: 0, sealed: true });
  });

  app.get("/api/v2/batches/:batchId", async (c) => {
    const batchId = c.req.param("batchId");
    const principal = c.get("principal");
    if (principal.kind === "public" && !principal.grants.canReadBatch(batchId))
      throw forbidden(`reading batch "${batchId}"`);
    const { rows } = await db.query<BatchRequestRow>("select * from ms_batch_requests where id = $1", [
      batchId,
    ]);
    const runs = await db.query<{ id: string }>("select id from ms_runs where batch_id = $1 order by id", [
      batchId,
    ]);
    const batch = rows[0];
    if (!batch && runs.rows.length === 0)
      throw new HttpError(404, "BATCH_NOT_FOUND", `Batch "${batchId}" does not exist`);
    const sealed = batch ? batch.sealed_at !== null : true;
    return c.json({
      id: batchId,
      status: sealed ? "COMPLETED" : "PENDING",
      idempotencyKey: batch?.idempotency_key ?? undefined,
      createdAt: batch?.created_at ?? new Date(),
      updatedAt: batch?.sealed_at ?? batch?.created_at ?? new Date(),
      runCount: batch?.run_count ?? runs.rows.length,
      runs: runs.rows.map((r) => r.id),
      processing: { completedAt: batch?.sealed_at ?? undefined, errors: [] },
    });
  });

  return app;
}

function parseItems(text: string, runCount: number): Array<z.infer<typeof batchLine>> {
  const byIndex = new Map<number, z.infer<typeof batchLine>>();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new HttpError(400, "INVALID_JSON", `Batch item line ${n + 1} is not valid JSON`);
    }
    const item = batchLine.safeParse(value);
    if (!item.success) {
      throw new HttpError(
        400,
        "INVALID_REQUEST",
        `Batch item line ${n + 1}: ${item.error.issues[0]?.message}`,
      );
    }
    if (item.data.index >= runCount) {
      throw new HttpError(
        400,
        "INVALID_REQUEST",
        `Batch item index ${item.data.index} is outside a batch of ${runCount}`,
      );
    }
    byIndex.set(item.data.index, item.data);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
