import { type ListRunsFilter, RUN_STATUSES } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, ServerContext } from "../../context.js";
import { readJson } from "../../http/body.js";
import { retrievedRun } from "../../http/serialize.js";
import { relatedRuns } from "../runs.js";

/** Runs one bulk request acts on at most; the answer says when more matched. */
export const BULK_LIMIT = 500;

const list = z.union([z.string(), z.array(z.string())]).transform((v) => [v].flat().filter(Boolean));
const date = z.union([z.number(), z.string()]).pipe(z.coerce.date());

/** The runs list's filters as JSON (the same meaning as `GET /api/v1/runs`'s `filter[...]`). */
const bulkFilter = z.strictObject({
  status: z.union([z.enum(RUN_STATUSES), z.array(z.enum(RUN_STATUSES))]).optional(),
  taskIdentifier: list.optional(),
  tag: list.optional(),
  queue: list.optional(),
  from: date.optional(),
  to: date.optional(),
  rootOnly: z.boolean().optional(),
  batch: z.string().optional(),
});

const bulkBody = z
  .strictObject({
    action: z.enum(["cancel", "replay"]),
    /** Either every run matching the filter (up to BULK_LIMIT, newest first)... */
    filter: bulkFilter.optional(),
    /** ...or these runs. */
    runIds: z.array(z.string().min(1)).min(1).max(BULK_LIMIT).optional(),
  })
  .refine((b) => (b.filter === undefined) !== (b.runIds === undefined), {
    message: "Send either `filter` or `runIds`",
  });

const replayBody = z.object({ payload: z.unknown().optional() });

const CANCELABLE = ["DELAYED", "QUEUED", "EXECUTING", "WAITING"] as const;
/** Runs acted on at once within a bulk request. */
const BULK_CONCURRENCY = 10;

/** Ids of the runs a bulk action applies to (newest first, BULK_LIMIT at most), and whether more matched. */
async function matchingIds(
  engine: ServerContext["engine"],
  action: "cancel" | "replay",
  f: z.infer<typeof bulkFilter>,
): Promise<{ ids: string[]; more: boolean }> {
  let status = f.status === undefined ? undefined : [f.status].flat();
  // a cancel only applies to runs that can still be canceled
  if (action === "cancel") {
    status = (status ?? [...CANCELABLE]).filter((s) => (CANCELABLE as readonly string[]).includes(s));
    if (status.length === 0) return { ids: [], more: false };
  }
  const filter: ListRunsFilter = { ...f, status, limit: 100 };
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await engine.listRuns({ ...filter, after });
    ids.push(...page.data.map((r) => r.id));
    after = page.nextCursor;
  } while (after && ids.length < BULK_LIMIT);
  return { ids: ids.slice(0, BULK_LIMIT), more: after !== undefined || ids.length > BULK_LIMIT };
}

/** Run detail (attempts, logs, timeline, streams), replay with a payload, bulk cancel and replay. */
export function dashboardRunRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const { engine } = ctx;

  app.get("/api/v1/dashboard/runs/:runId", async (c) => {
    const run = await engine.retrieveRun(c.req.param("runId"));
    const [related, attempts, logs, timeline, streams, blockedOn] = await Promise.all([
      relatedRuns(engine, run),
      engine.inspect.attempts(run.id),
      engine.logs(run.id),
      engine.inspect.timeline(run.id),
      engine.listStreams(run.id),
      engine.inspect.blockedOn(run.id),
    ]);
    return c.json({
      run: { ...retrievedRun(run, related), idempotencyKey: run.idempotencyKey, ttl: run.ttl },
      attempts,
      logs: logs.map((l) => ({ ...l, at: l.created_at, created_at: undefined })),
      timeline,
      streams,
      blockedOn,
    });
  });

  // replay, optionally with an edited payload (validated by the task's schema like a trigger)
  app.post("/api/v1/dashboard/runs/:runId/replay", async (c) => {
    const body = await readJson(c, replayBody, ctx.limits.maxBodyBytes);
    return c.json(
      await engine.replayRun(c.req.param("runId"), "payload" in body ? { payload: body.payload } : {}),
    );
  });

  app.post("/api/v1/dashboard/runs/bulk", async (c) => {
    const body = await readJson(c, bulkBody, ctx.limits.maxBodyBytes);
    const { ids, more } = body.runIds
      ? { ids: [...new Set(body.runIds)], more: false }
      : await matchingIds(engine, body.action, body.filter!);
    // one engine call per run: cancel resumes waiting parents and tells the executing worker,
    // replay validates like a trigger; a failure on one run does not stop the others
    const results: Array<{ id: string; ok: boolean; newRunId?: string; error?: string }> = [];
    for (let i = 0; i < ids.length; i += BULK_CONCURRENCY) {
      const slice = ids.slice(i, i + BULK_CONCURRENCY);
      results.push(
        ...(await Promise.all(
          slice.map(async (id) => {
            try {
              if (body.action === "cancel") await engine.cancelRun(id);
              else return { id, ok: true, newRunId: (await engine.replayRun(id)).id };
              return { id, ok: true };
            } catch (error) {
              return { id, ok: false, error: (error as Error).message };
            }
          }),
        )),
      );
    }
    return c.json({
      action: body.action,
      matched: ids.length,
      succeeded: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).map((r) => ({ id: r.id, error: r.error })),
      replayed: results.flatMap((r) => (r.newRunId ? [{ from: r.id, id: r.newRunId }] : [])),
      /** More runs matched than one request handles: send it again. */
      more,
    });
  });

  return app;
}
