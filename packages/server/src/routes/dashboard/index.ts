import { Hono } from "hono";
import { requireSecret } from "../../auth/middleware.js";
import type { AppEnv, ServerContext } from "../../context.js";
import { dashboardQueueRoutes } from "./queues.js";
import { dashboardRunRoutes } from "./runs.js";
import { dashboardScheduleRoutes } from "./schedules.js";
import { dashboardStatsRoutes } from "./stats.js";
import { dashboardTaskRoutes } from "./tasks.js";
import { dashboardWaitpointRoutes } from "./waitpoints.js";

export { dashboardLoginRoutes } from "./login.js";

/**
 * The endpoints only the dashboard needs, under `/api/v1/dashboard`, behind a secret key or a
 * dashboard session (which acts as one). Everything the public API already does (listing runs,
 * cancel, reschedule, tokens, schedules, realtime) the dashboard calls there instead.
 */
export function dashboardRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/api/v1/dashboard/*", async (c, next) => {
    requireSecret(c.get("principal"));
    await next();
  });
  // who is logged in (the login page's check that a stored session still works)
  app.get("/api/v1/dashboard/session", (c) => {
    const p = c.get("principal");
    return c.json({ via: p.kind === "secret" && p.keyId.startsWith("dashboard:") ? "password" : "key" });
  });
  app.route("/", dashboardRunRoutes(ctx));
  app.route("/", dashboardTaskRoutes(ctx));
  app.route("/", dashboardQueueRoutes(ctx));
  app.route("/", dashboardWaitpointRoutes(ctx));
  app.route("/", dashboardScheduleRoutes(ctx));
  app.route("/", dashboardStatsRoutes(ctx));
  return app;
}
