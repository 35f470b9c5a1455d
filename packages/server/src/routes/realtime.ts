import type { Run } from "@mainspring/sdk";
import { FINAL_STATUSES, STREAM_ID_PATTERN } from "@mainspring/sdk";
import type { Context } from "hono";
import { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { forbidden } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { HttpError } from "../http/errors.js";
import { realtimeRun } from "../http/serialize.js";
import type { RunWatcher, WatchTarget } from "../realtime/run-watcher.js";
import { readableRun } from "./access.js";

/** Each followed tag costs a query per tick. */
const MAX_TAGS_PER_SUBSCRIPTION = 10;

/** A comment line every 15 s keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

const isFinal = (run: Run) => FINAL_STATUSES.includes(run.status);

/**
 * Realtime over Server-Sent Events (used by `@mainspring/react` and `streams.read` over HTTP):
 * - `GET /api/v1/realtime/runs/:runId`: `event: run` with the run whenever it changes; ends once it is final.
 * - `GET /api/v1/realtime/runs?tags=a,b`: `event: run` for the latest runs with any of the tags; stays open.
 * - `GET /api/v1/realtime/batches/:batchId`: `event: run` per run of the batch; ends when all are final.
 * - `GET /api/v1/realtime/streams/:runId/:streamId`: `event: chunk` with `id: <index>`, from the start
 *   or after `Last-Event-ID`; `event: end` once the run is final and every chunk was sent.
 * Authorization: a secret key, or a public token that can read the run (or tag, or batch); all
 * checks happen before the stream opens, so a refusal is a plain JSON 401/403.
 */
export function realtimeRoutes(ctx: ServerContext, watcher: RunWatcher) {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/realtime/runs/:runId", async (c) => {
    const run = await readableRun(ctx, c, c.req.param("runId"));
    return followRuns(c, ctx, watcher, [{ kind: "run", runId: run.id }], (runs) => runs.every(isFinal));
  });

  app.get("/api/v1/realtime/runs", async (c) => {
    const tags = [...new Set((c.req.query("tags") ?? c.req.query("tag") ?? "").split(",").filter(Boolean))];
    if (tags.length === 0) throw new HttpError(400, "INVALID_OPTIONS", "Pass the tags to follow: ?tags=a,b");
    if (tags.length > MAX_TAGS_PER_SUBSCRIPTION) {
      throw new HttpError(
        400,
        "INVALID_OPTIONS",
        `Follow at most ${MAX_TAGS_PER_SUBSCRIPTION} tags per subscription`,
      );
    }
    const principal = c.get("principal");
    if (principal.kind === "public") {
      const readable = principal.grants.readableTags();
      if (readable !== "all" && !tags.every((t) => readable.includes(t)))
        throw forbidden(`reading runs tagged ${tags.join(", ")}`);
    }
    return followRuns(
      c,
      ctx,
      watcher,
      tags.map((tag) => ({ kind: "tag", tag }) as const),
      () => false,
    );
  });

  app.get("/api/v1/realtime/batches/:batchId", async (c) => {
    const batchId = c.req.param("batchId");
    const principal = c.get("principal");
    if (principal.kind === "public" && !principal.grants.canReadBatch(batchId))
      throw forbidden(`reading batch "${batchId}"`);
    const first = await ctx.engine.listRuns({ batch: batchId, limit: 1 });
    if (first.data.length === 0)
      throw new HttpError(404, "BATCH_NOT_FOUND", `Batch "${batchId}" has no runs`);
    return followRuns(
      c,
      ctx,
      watcher,
      [{ kind: "batch", batchId }],
      (runs) => runs.length > 0 && runs.every(isFinal),
    );
  });

  app.get("/api/v1/realtime/streams/:runId/:streamId", async (c) => {
    const run = await readableRun(ctx, c, c.req.param("runId"));
    const streamId = c.req.param("streamId");
    if (!STREAM_ID_PATTERN.test(streamId)) {
      throw new HttpError(400, "INVALID_OPTIONS", "A stream id is 1–128 letters, digits and _ - . :");
    }
    const last = c.req.header("last-event-id") ?? c.req.query("lastEventId");
    const from = last === undefined || last === "" ? 0 : Number(last) + 1;
    if (!Number.isInteger(from) || from < 0)
      throw new HttpError(400, "INVALID_OPTIONS", "Last-Event-ID must be a chunk index");
    return streamSSE(c, async (sse) => {
      const abort = new AbortController();
      const end = () => abort.abort();
      ctx.openStreams.add(end);
      sse.onAbort(end);
      const keepalive = setInterval(
        () => void sse.write(": keepalive\n\n").catch(() => abort.abort()),
        KEEPALIVE_MS,
      );
      try {
        for await (const record of ctx.engine.readStream(run.id, streamId, { from, signal: abort.signal })) {
          await sse.writeSSE({
            id: String(record.index),
            event: "chunk",
            data: JSON.stringify(record.value),
          });
        }
        if (!abort.signal.aborted) await sse.writeSSE({ event: "end", data: "{}" });
      } finally {
        clearInterval(keepalive);
        ctx.openStreams.delete(end);
      }
    });
  });

  return app;
}

/**
 * Sends `event: run` for every change among the targets' runs until `done(all runs seen)`
 * holds or the client goes away. Each event's id is a per-connection counter: run events are
 * snapshots, so a reconnecting client simply receives the current state again.
 */
function followRuns(
  c: Context<AppEnv>,
  ctx: ServerContext,
  watcher: RunWatcher,
  targets: WatchTarget[],
  done: (runs: Run[]) => boolean,
): Response {
  return streamSSE(c, async (sse: SSEStreamingApi) => {
    const latest = new Map<string, Run>();
    let sequence = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    sse.onAbort(finish);
    ctx.openStreams.add(finish);
    let writing = Promise.resolve();
    const stops = targets.map((target) =>
      watcher.watch({
        target,
        onRuns: (runs) => {
          writing = writing.then(async () => {
            for (const run of runs) {
              latest.set(run.id, run);
              await sse.writeSSE({
                id: String(++sequence),
                event: "run",
                data: JSON.stringify(realtimeRun(run)),
              });
            }
            if (done([...latest.values()])) finish();
          });
        },
      }),
    );
    const keepalive = setInterval(() => void sse.write(": keepalive\n\n").catch(finish), KEEPALIVE_MS);
    try {
      await finished;
      await writing;
    } finally {
      clearInterval(keepalive);
      ctx.openStreams.delete(finish);
      for (const stop of stops) stop();
    }
  });
}
