import { Hono } from "hono";
import type { AppEnv, ServerContext } from "../../context.js";
import { HttpError } from "../../http/errors.js";

/** Longest window the runs-per-minute series covers. */
const MAX_MINUTES = 24 * 60;

/** Time series for the overview's charts. */
export function dashboardStatsRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  // runs created per minute, by current status, over the last `minutes` (default 60)
  app.get("/api/v1/dashboard/stats/runs-per-minute", async (c) => {
    const minutes = Number(c.req.query("minutes") ?? "60");
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES)
      throw new HttpError(400, "INVALID_OPTIONS", `minutes must be a whole number from 1 to ${MAX_MINUTES}`);
    const now = Date.now();
    const to = new Date(Math.floor(now / 60_000) * 60_000 + 60_000);
    const from = new Date(to.getTime() - minutes * 60_000);
    const rows = await ctx.engine.inspect.runsPerMinute(from, to);
    return c.json({ from, to, data: rows });
  });

  return app;
}
