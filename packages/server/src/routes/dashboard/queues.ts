import { Hono } from "hono";
import type { AppEnv, ServerContext } from "../../context.js";
import { HttpError } from "../../http/errors.js";

/**
 * Queues with running / queued / waiting counts, per queue and per concurrency key, and
 * pause / resume. Queue names contain `/` (`task/<id>`): send them URL-encoded in the path.
 */
export function dashboardQueueRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const { engine } = ctx;

  app.get("/api/v1/dashboard/queues", async (c) => c.json({ data: await engine.inspect.queues() }));

  app.get("/api/v1/dashboard/queues/:name/keys", async (c) => {
    const limit = Number(c.req.query("limit") ?? "100");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new HttpError(400, "INVALID_OPTIONS", "limit must be a whole number from 1 to 1000");
    return c.json({ data: await engine.inspect.queueKeys(c.req.param("name"), limit) });
  });

  for (const action of ["pause", "resume"] as const) {
    app.post(`/api/v1/dashboard/queues/:name/${action}`, async (c) => {
      const name = c.req.param("name");
      await engine.pauseQueue(name, action === "pause");
      return c.json({ name, paused: action === "pause" });
    });
  }

  return app;
}
