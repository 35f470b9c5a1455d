import type { StoredLogLine } from "@mainspring/engine";
import { RUN_STATUSES } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, ServerContext } from "../../context.js";
import { readJson } from "../../http/body.js";
import { HttpError } from "../../http/errors.js";
import { retrievedRun } from "../../http/serialize.js";
import { relatedRuns } from "../runs.js";

/** Log lines a run's detail carries (its newest); older ones are paged with `.../logs`. */
export const LOG_WINDOW = 500;

const lineId = z.string().regex(/^\d{1,18}$/, "a log line id (digits)");
const logsQuery = z
  .strictObject({
    before: lineId.optional(),
    after: lineId.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(LOG_WINDOW),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    message: "Send `before` or `after`, not both",
  });

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
  /** Where the previous request stopped (its `continue.after`). */
  after: z.string().optional(),
});

const bulkBody = z
  .strictObject({
    action: z.enum(["cancel", "replay"]),
    /** Either every run matching the filter (up to BULK_LIMIT, newest first)... */
    filter: bulkFilter.optional(),
    /** ...or these runs. */
    runIds: z.array(z.string().min(1)).min(1).max(BULK_LIMIT).optional(),
    /** At most this many runs of a filter per request (default and maximum BULK_LIMIT). */
    limit: z.number().int().min(1).max(BULK_LIMIT).optional(),
  })
  .refine((b) => (b.filter === undefined) !== (b.runIds === undefined), {
    message: "Send either `filter` or `runIds`",
  });

const replayBody = z.object({ payload: z.unknown().optional() });

const CANCELABLE = ["DELAYED", "QUEUED", "EXECUTING", "WAITING"] as const;
/** Runs acted on at once within a bulk request. */
const BULK_CONCURRENCY = 10;

/**
 * Ids of the runs a bulk action applies to (newest first, BULK_LIMIT at most) and, when more
 * matched, the filter to send back for the next ones: the same filter, its end time frozen at
 * the first request (runs created since, replays included, are not swept in) and a cursor.
 */
async function matchingIds(
  engine: ServerContext["engine"],
  action: "cancel" | "replay",
  f: z.infer<typeof bulkFilter>,
  max = BULK_LIMIT,
): Promise<{ ids: string[]; next?: z.infer<typeof bulkFilter> }> {
  let status = f.status === undefined ? undefined : [f.status].flat();
  // a cancel only applies to runs that can still be canceled
  if (action === "cancel") {
    status = (status ?? [...CANCELABLE]).filter((s) => (CANCELABLE as readonly string[]).includes(s));
    if (status.length === 0) return { ids: [] };
  }
  const to = f.to ?? new Date();
  const ids: string[] = [];
  let after = f.after;
  do {
    const page = await engine.listRuns({
      ...f,
      status,
      to,
      after,
      limit: Math.min(100, max - ids.length),
    });
    ids.push(...page.data.map((r) => r.id));
    after = page.nextCursor;
  } while (after && ids.length < max);
  return { ids, next: after ? { ...f, to, after } : undefined };
}

function logLine(l: StoredLogLine) {
  return { id: l.id, attempt: l.attempt, level: l.level, message: l.message, data: l.data, at: l.created_at };
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
      engine.logs(run.id, { limit: LOG_WINDOW + 1 }),
      engine.inspect.timeline(run.id),
      engine.listStreams(run.id),
      engine.inspect.blockedOn(run.id),
    ]);
    return c.json({
      run: { ...retrievedRun(run, related), idempotencyKey: run.idempotencyKey, ttl: run.ttl },
      attempts,
      logs: logs.slice(-LOG_WINDOW).map(logLine),
      /** Older lines exist than the first of `logs`. */
      logsEarlier: logs.length > LOG_WINDOW,
      timeline,
      streams,
      blockedOn,
    });
  });

  // a page of a run's log lines, oldest first: `before` a line (the older ones) or `after` it
  app.get("/api/v1/dashboard/runs/:runId/logs", async (c) => {
    const parsed = logsQuery.safeParse(c.req.query());
    if (!parsed.success)
      throw new HttpError(400, "INVALID_OPTIONS", parsed.error.issues.map((i) => i.message).join("; "));
    const { before, after, limit } = parsed.data;
    const run = await engine.retrieveRun(c.req.param("runId")); // 404 for an unknown run
    const lines = await engine.logs(run.id, { before, after, limit: limit + 1 });
    // one more than asked says whether there are more in that direction
    const more = lines.length > limit;
    const page = after !== undefined ? lines.slice(0, limit) : lines.slice(-limit);
    return c.json({ data: page.map(logLine), more });
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
    const { ids, next } = body.runIds
      ? { ids: [...new Set(body.runIds)], next: undefined }
      : await matchingIds(engine, body.action, body.filter!, body.limit);
    // one engine call per run: cancel resumes waiting parents and tells the executing worker,
    // replay validates like a trigger; a failure on one run does not stop the others
    type Result = {
      id: string;
      ok: boolean;
      skipped?: string;
      newRunId?: string;
      error?: string;
      code?: string;
    };
    const results: Result[] = [];
    for (let i = 0; i < ids.length; i += BULK_CONCURRENCY) {
      const slice = ids.slice(i, i + BULK_CONCURRENCY);
      results.push(
        ...(await Promise.all(
          slice.map(async (id): Promise<Result> => {
            try {
              if (body.action === "replay")
                return { id, ok: true, newRunId: (await engine.replayRun(id)).id };
              const { canceled } = await engine.cancelRun(id);
              return canceled ? { id, ok: true } : { id, ok: false, skipped: "already finished" };
            } catch (error) {
              const code = (error as { code?: unknown }).code;
              return {
                id,
                ok: false,
                error: (error as Error).message,
                ...(typeof code === "string" ? { code } : {}),
              };
            }
          }),
        )),
      );
    }
    return c.json({
      action: body.action,
      matched: ids.length,
      succeeded: results.filter((r) => r.ok).length,
      /** Runs a cancel left alone because they had already finished. */
      skipped: results.filter((r) => r.skipped).map((r) => r.id),
      failed: results
        .filter((r) => !r.ok && !r.skipped)
        .map((r) => ({ id: r.id, error: r.error, code: r.code })),
      replayed: results.flatMap((r) => (r.newRunId ? [{ from: r.id, id: r.newRunId }] : [])),
      more: next !== undefined,
      /** More runs matched than one request handles: send `{ action, filter: continue }` for the next ones. */
      continue: next,
    });
  });

  return app;
}
