import { Hono } from "hono";
import { z } from "zod";
import { requireSecret } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { readJson } from "../http/body.js";
import { HttpError } from "../http/errors.js";

const createBody = z.object({
  task: z.string().min(1),
  cron: z.string().min(1),
  deduplicationKey: z.string().min(1),
  externalId: z.string().optional(),
  timezone: z.string().optional(),
  window: z.unknown().optional(),
});
const updateBody = createBody.omit({ deduplicationKey: true });

function noWindow(window: unknown): void {
  if (window !== undefined)
    throw new HttpError(400, "INVALID_SCHEDULE", "Schedule `window` is not supported by Mainspring yet");
}

/** Imperative schedules; every call needs a secret key. Validation lives in the engine. */
export function scheduleRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const schedules = ctx.engine.schedules;
  app.use("/api/v1/schedules", async (c, next) => {
    requireSecret(c.get("principal"));
    await next();
  });
  app.use("/api/v1/schedules/*", async (c, next) => {
    requireSecret(c.get("principal"));
    await next();
  });

  app.post("/api/v1/schedules", async (c) => {
    const { window, ...body } = await readJson(c, createBody, ctx.limits.maxBodyBytes);
    noWindow(window);
    return c.json(await schedules.create(body));
  });
  app.get("/api/v1/schedules", async (c) => {
    const page = Number(c.req.query("page") ?? "1");
    const perPage = Number(c.req.query("perPage") ?? "10");
    if (!Number.isInteger(page) || page < 1)
      throw new HttpError(400, "INVALID_OPTIONS", "page must be a whole number from 1");
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      throw new HttpError(400, "INVALID_OPTIONS", "perPage must be a whole number from 1 to 100");
    }
    return c.json(await schedules.list({ page, perPage }));
  });
  app.get("/api/v1/schedules/:id", async (c) => c.json(await schedules.retrieve(c.req.param("id"))));
  app.put("/api/v1/schedules/:id", async (c) => {
    const { window, ...body } = await readJson(c, updateBody, ctx.limits.maxBodyBytes);
    noWindow(window);
    return c.json(await schedules.update(c.req.param("id"), body));
  });
  app.delete("/api/v1/schedules/:id", async (c) => c.json(await schedules.del(c.req.param("id"))));
  app.post("/api/v1/schedules/:id/activate", async (c) =>
    c.json(await schedules.activate(c.req.param("id"))),
  );
  app.post("/api/v1/schedules/:id/deactivate", async (c) =>
    c.json(await schedules.deactivate(c.req.param("id"))),
  );
  return app;
}
