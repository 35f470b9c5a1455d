import { MainspringError } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, ServerContext } from "../../context.js";
import { readJson } from "../../http/body.js";

const previewBody = z.object({
  cron: z.string(),
  timezone: z.string().optional(),
  count: z.number().int().min(1).max(20).optional(),
});

/**
 * The cron check behind the schedule form: the same validation as creating a schedule, and the
 * next slots in the time zone. A pattern or time zone that would be refused is a 200 answer with
 * `valid: false` and the reason (a check, not a failed request). Schedules themselves are
 * managed through `/api/v1/schedules`.
 */
export function dashboardScheduleRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.post("/api/v1/dashboard/schedules/preview", async (c) => {
    const body = await readJson(c, previewBody, 16_384);
    try {
      return c.json({
        valid: true,
        ...(await ctx.engine.schedules.preview(body.cron, body.timezone, body.count)),
      });
    } catch (error) {
      if (error instanceof MainspringError && error.code === "INVALID_SCHEDULE")
        return c.json({ valid: false, error: error.message });
      throw error;
    }
  });
  return app;
}
