import type { AppRoute, AppRouteAuth } from "@mainspring/sdk";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { AppEnv, Principal, ServerContext } from "../context.js";
import { readJson } from "../http/body.js";
import { HttpError } from "../http/errors.js";

const anyBody = z.unknown();

function authOf(principal: Principal): AppRouteAuth {
  if (principal.kind === "secret") return { kind: "secret", can: () => true };
  return { kind: "public", can: (action, resource, id) => principal.grants.allows(action, resource, id) };
}

/**
 * The app's own endpoints (`routes` in mainspring.config.ts) under `/api/v1/app`, behind the
 * API's authentication. The handler authorizes; thrown errors with a declared code keep it.
 */
export function appRoutes(ctx: ServerContext, routes: AppRoute[]) {
  const app = new Hono<AppEnv>();
  for (const route of routes) {
    const path = `/api/v1/app${route.path.startsWith("/") ? route.path : `/${route.path}`}`;
    app.on(route.method, path, async (c) => {
      const body =
        route.method === "GET" || route.method === "DELETE"
          ? undefined
          : await readJson(c, anyBody, ctx.limits.maxBodyBytes);
      try {
        const result = await route.handler({
          params: c.req.param(),
          query: c.req.query(),
          body,
          auth: authOf(c.get("principal")),
        });
        return c.json(result ?? null);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const status = typeof code === "string" ? route.errors?.[code] : undefined;
        if (status)
          throw new HttpError(status as ContentfulStatusCode, code as string, (error as Error).message);
        throw error;
      }
    });
  }
  return app;
}
