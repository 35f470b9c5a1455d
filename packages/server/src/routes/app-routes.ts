import type { AppRoute, AppRouteAuth } from "@mainspring/sdk";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { AppEnv, Principal, ServerContext } from "../context.js";
import { readJson, readText } from "../http/body.js";
import { HttpError } from "../http/errors.js";

const anyBody = z.unknown();

function authOf(principal: Principal | undefined): AppRouteAuth {
  if (!principal) return { kind: "anonymous", can: () => false };
  if (principal.kind === "secret") return { kind: "secret", can: () => true };
  return { kind: "public", can: (action, resource, id) => principal.grants.allows(action, resource, id) };
}

/**
 * The app's own endpoints (`routes` in mainspring.config.ts): under `/api/v1/app` behind the
 * API's authentication, or, for routes marked `public`, under `/app` with none (the handler
 * verifies the request itself). Thrown errors with a declared code keep it.
 */
export function appRoutes(ctx: ServerContext, routes: AppRoute[], visibility: "authenticated" | "public") {
  const app = new Hono<AppEnv>();
  for (const route of routes) {
    if ((route.public === true) !== (visibility === "public")) continue;
    const base = visibility === "public" ? "/app" : "/api/v1/app";
    const path = `${base}${route.path.startsWith("/") ? route.path : `/${route.path}`}`;
    const aliases = visibility === "authenticated" ? (route.aliases ?? []) : [];
    for (const alias of aliases) {
      if (!alias.startsWith("/api/")) throw new Error(`App route alias "${alias}" must start with /api/`);
    }
    app.on(route.method, [path, ...aliases], async (c) => {
      const bodyless = route.method === "GET" || route.method === "DELETE";
      const rawBody = route.public && !bodyless ? await readText(c, ctx.limits.maxBodyBytes) : undefined;
      const body = bodyless || route.public ? undefined : await readJson(c, anyBody, ctx.limits.maxBodyBytes);
      try {
        const result = await route.handler({
          params: c.req.param(),
          query: c.req.query(),
          body,
          rawBody,
          auth: authOf(route.public ? undefined : c.get("principal")),
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
