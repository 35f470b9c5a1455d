import type { Engine } from "@mainspring/engine";
import { type ListRunsFilter, RUN_STATUSES, type Run, type RunStatus } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import { forbidden } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { readJson } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import { applyMetadata, metadataBody } from "../http/metadata-ops.js";
import { listedRun, retrievedRun } from "../http/serialize.js";
import { readableRun, writableRun } from "./access.js";

const rescheduleBody = z.object({ delay: z.union([z.string(), z.coerce.date()]) });
const tagsBody = z.object({ tags: z.union([z.string(), z.array(z.string())]) });

const list = (value: string | undefined) => (value ? value.split(",").filter(Boolean) : undefined);

function epochOrDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new HttpError(400, "INVALID_OPTIONS", `"${value}" is not a date`);
  return date;
}

/** `GET /api/v1/runs` query, in the client's `filter[...]` / `page[...]` form. */
function listFilter(query: Record<string, string>): ListRunsFilter {
  const statuses = list(query["filter[status]"]);
  for (const status of statuses ?? []) {
    if (!RUN_STATUSES.includes(status as RunStatus)) {
      throw new HttpError(
        400,
        "INVALID_OPTIONS",
        `Unknown status "${status}"; one of ${RUN_STATUSES.join(", ")}`,
      );
    }
  }
  const size = query["page[size]"] ? Number(query["page[size]"]) : undefined;
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 100)) {
    throw new HttpError(400, "INVALID_OPTIONS", "page[size] must be a whole number from 1 to 100");
  }
  return {
    status: statuses as RunStatus[] | undefined,
    taskIdentifier: list(query["filter[taskIdentifier]"]),
    tag: list(query["filter[tag]"]),
    // A task's own queue is stored (and listed) as `task/<id>`, which is also what the official
    // client sends for `{ type: "task", name }`: matched as given.
    queue: list(query["filter[queue]"]),
    batch: query["filter[batch]"] || undefined,
    parentId: query["filter[parentId]"] || undefined,
    rootOnly: query["filter[rootOnly]"] === "true" || undefined,
    from: epochOrDate(query["filter[createdAt][from]"]),
    to: epochOrDate(query["filter[createdAt][to]"]),
    limit: size,
    after: query["page[after]"] || undefined,
  };
}

/** A run's parent, root and (first 100) children, as `relatedRuns` shows them. */
export async function relatedRuns(engine: Engine, run: Run) {
  const [parent, root, children] = await Promise.all([
    run.parentId ? engine.retrieveRun(run.parentId) : undefined,
    run.rootId && run.rootId !== run.parentId ? engine.retrieveRun(run.rootId) : undefined,
    engine.listRuns({ parentId: run.id, limit: 100 }).then((page) => page.data),
  ]);
  return { parent, root: root ?? parent, children };
}

export function runRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const { engine } = ctx;
  const related = (run: Run) => relatedRuns(engine, run);

  app.get("/api/v3/runs/:runId", async (c) => {
    const run = await readableRun(ctx, c, c.req.param("runId"));
    const principal = c.get("principal");
    const all = await related(run);
    // a token sees the related runs it could read on their own, no more
    const visible = (r: Run | undefined) =>
      r && (principal.kind === "secret" || principal.grants.canReadRun(r)) ? r : undefined;
    return c.json(
      retrievedRun(run, {
        parent: visible(all.parent),
        root: visible(all.root),
        children: all.children.filter((r) => visible(r) !== undefined),
      }),
    );
  });

  app.get("/api/v1/runs", async (c) => {
    const filter = listFilter(c.req.query());
    const principal = c.get("principal");
    if (principal.kind === "public") {
      const readable = principal.grants.readableTags();
      if (readable !== "all") {
        const asked = filter.tag ? [filter.tag].flat() : [];
        if (asked.length === 0 || !asked.every((tag) => readable.includes(tag))) {
          throw forbidden("listing runs outside its tags; filter by a tag the token can read");
        }
      }
    }
    const page = await engine.listRuns(filter);
    return c.json({ data: page.data.map(listedRun), pagination: { next: page.nextCursor } });
  });

  app.post("/api/v2/runs/:runId/cancel", async (c) => {
    writableRun(c);
    const { id } = await engine.cancelRun(c.req.param("runId"));
    return c.json({ id });
  });

  app.post("/api/v1/runs/:runId/replay", async (c) => {
    writableRun(c);
    return c.json(await engine.replayRun(c.req.param("runId")));
  });

  app.post("/api/v1/runs/:runId/reschedule", async (c) => {
    writableRun(c);
    const body = await readJson(c, rescheduleBody, ctx.limits.maxBodyBytes);
    const run = await engine.rescheduleRun(c.req.param("runId"), { delay: body.delay });
    return c.json(retrievedRun(run, await related(run)));
  });

  app.post("/api/v1/runs/:runId/tags", async (c) => {
    writableRun(c);
    const body = await readJson(c, tagsBody, ctx.limits.maxBodyBytes);
    const tags = [body.tags].flat();
    await engine.addTags(c.req.param("runId"), tags);
    return c.json({ message: `Successfully set ${tags.length} new tags.` });
  });

  app.get("/api/v1/runs/:runId/metadata", async (c) => {
    const run = await readableRun(ctx, c, c.req.param("runId"));
    return c.json({ metadata: run.metadata });
  });

  app.put("/api/v1/runs/:runId/metadata", async (c) => {
    writableRun(c);
    const body = await readJson(c, metadataBody, ctx.limits.maxBodyBytes);
    const metadata = await engine.updateMetadata(c.req.param("runId"), (current) =>
      applyMetadata(current, body),
    );
    return c.json({ metadata });
  });

  return app;
}
