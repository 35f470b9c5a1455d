import { randomUUID } from "node:crypto";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { routePath } from "hono/route";
import { authenticate } from "./auth/middleware.js";
import type { AppEnv, ServerContext } from "./context.js";
import { errorResponse, HttpError, toHttpError } from "./http/errors.js";
import { rateLimit } from "./http/rate-limit.js";
import { RunWatcher } from "./realtime/run-watcher.js";
import { appRoutes } from "./routes/app-routes.js";
import { authRoutes } from "./routes/auth.js";
import { batchRoutes } from "./routes/batches.js";
import { dashboardLoginRoutes, dashboardRoutes } from "./routes/dashboard/index.js";
import { packetRoutes, packetUploadRoutes } from "./routes/packets.js";
import { realtimeRoutes } from "./routes/realtime.js";
import { runRoutes } from "./routes/runs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { taskRoutes } from "./routes/tasks.js";
import { callbackRoutes, waitpointRoutes } from "./routes/waitpoints.js";

/**
 * The HTTP API as a Hono app: unauthenticated routes first (health, metrics, signed URLs),
 * then everything under `/api` behind a secret key or public access token.
 */
export function createApp(ctx: ServerContext, watcher = new RunWatcher(ctx.engine)): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const requestId = c.req.header("x-request-id") ?? randomUUID();
    c.set("requestId", requestId);
    c.header("x-request-id", requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routePath(c);
    ctx.metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    ctx.logger.info(
      {
        requestId,
        method: c.req.method,
        route,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(seconds * 1000),
      },
      "request",
    );
  });

  app.onError((error, c) => {
    const http = toHttpError(error);
    if (http.status >= 500 && !(error instanceof HttpError)) {
      ctx.logger.error({ requestId: c.get("requestId"), err: error }, "unhandled error");
    }
    ctx.metrics.countError(http.code);
    return errorResponse(c, http);
  });

  app.notFound((c) =>
    errorResponse(c, new HttpError(404, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)),
  );

  // Browsers call realtime, token completion and trigger with public tokens (bearer, no
  // cookies), so any listed origin may; `*` by default.
  app.use(
    cors({
      origin: ctx.corsOrigins.includes("*") ? "*" : ctx.corsOrigins,
      allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID", "x-request-id"],
      exposeHeaders: ["x-trigger-jwt", "x-request-id", "Retry-After"],
      maxAge: 600,
    }),
  );

  app.get("/healthz", async (c) => {
    await ctx.engine.db.query("select 1");
    return c.json({ ok: true, store: ctx.engine.db.kind });
  });
  app.get("/metrics", async (c) => {
    c.header("content-type", ctx.metrics.registry.contentType);
    return c.body(await ctx.metrics.registry.metrics());
  });
  app.route("/", callbackRoutes(ctx));
  app.route("/", packetUploadRoutes(ctx));
  app.route("/", appRoutes(ctx, ctx.appRoutes, "public"));
  app.route("/", dashboardLoginRoutes(ctx));

  const api = new Hono<AppEnv>();
  api.use("/api/*", authenticate(ctx));
  api.use("/api/*", rateLimit(ctx.limits.requestsPerMinute));
  api.route("/", taskRoutes(ctx));
  api.route("/", batchRoutes(ctx));
  api.route("/", runRoutes(ctx));
  api.route("/", waitpointRoutes(ctx));
  api.route("/", scheduleRoutes(ctx));
  api.route("/", authRoutes(ctx));
  api.route("/", packetRoutes(ctx));
  api.route("/", realtimeRoutes(ctx, watcher));
  api.route("/", dashboardRoutes(ctx));
  api.route("/", appRoutes(ctx, ctx.appRoutes, "authenticated"));
  app.route("/", api);

  // The dashboard's static files (a single-page app: unknown paths get its index.html).
  if (ctx.staticDir) {
    const isApi = (path: string) =>
      path.startsWith("/api/") || path.startsWith("/app/") || path === "/metrics";
    // Never framed by another site (its one-click actions would be open to clickjacking).
    app.use("/*", async (c, next) => {
      await next();
      if (!isApi(c.req.path)) {
        c.header("X-Frame-Options", "DENY");
        c.header("Content-Security-Policy", "frame-ancestors 'none'");
      }
    });
    app.use("/*", async (c, next) =>
      isApi(c.req.path) ? next() : serveStatic({ root: ctx.staticDir })(c, next),
    );
    app.get("/*", async (c, next) =>
      isApi(c.req.path) ? next() : serveStatic({ root: ctx.staticDir, path: "index.html" })(c, next),
    );
  } else {
    app.get("/", (c) =>
      c.json({
        name: "mainspring",
        health: "/healthz",
        metrics: "/metrics",
        api: "/api/v1",
        docs: "docs/http-api.md",
      }),
    );
  }

  return app;
}
