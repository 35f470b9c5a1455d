import type { WaitTokenStatus } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import { forbidden, requireSecret } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { decodePacket, readJson, readText } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import { waitToken } from "../http/serialize.js";

const createTokenBody = z.object({
  idempotencyKey: z.string().max(2048).optional(),
  idempotencyKeyTTL: z.string().optional(),
  timeout: z.union([z.string(), z.coerce.date()]).optional(),
  tags: z.union([z.string(), z.array(z.string())]).optional(),
});

const completeTokenBody = z.object({ data: z.unknown().nullish() });

const STATUSES: WaitTokenStatus[] = ["WAITING", "COMPLETED", "TIMED_OUT"];

/** Wait tokens: create/list/retrieve need a secret key; completing accepts `write:waitpoints:<id>`. */
export function waitpointRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const { engine } = ctx;
  const url = (id: string) => engine.waits.callbackUrl(id);

  app.post("/api/v1/waitpoints/tokens", async (c) => {
    requireSecret(c.get("principal"));
    const body = await readJson(c, createTokenBody, ctx.limits.maxBodyBytes);
    // a Date arrives as its ISO string; durations ("10m") stay strings
    const timeout =
      typeof body.timeout === "string" && /^\d{4}-\d{2}-\d{2}T/.test(body.timeout)
        ? new Date(body.timeout)
        : body.timeout;
    const token = await engine.createToken({ ...body, timeout });
    const principal = c.get("principal");
    c.header(
      "x-trigger-jwt",
      await ctx.tokens.sign({
        sub: principal.kind === "secret" ? principal.keyId : "",
        scopes: [`write:waitpoints:${token.id}`],
        expiresIn: "24h",
      }),
    );
    return c.json({ id: token.id, isCached: token.isCached, url: token.url });
  });

  app.get("/api/v1/waitpoints/tokens", async (c) => {
    requireSecret(c.get("principal"));
    const q = c.req.query();
    const status = q["filter[status]"]?.split(",").filter(Boolean) as WaitTokenStatus[] | undefined;
    for (const s of status ?? []) {
      if (!STATUSES.includes(s)) throw new HttpError(400, "INVALID_OPTIONS", `Unknown token status "${s}"`);
    }
    const limit = q["page[size]"] ? Number(q["page[size]"]) : undefined;
    const page = await engine.listTokens({
      status,
      tags: q["filter[tags]"]?.split(",").filter(Boolean),
      idempotencyKey: q["filter[idempotencyKey]"] || undefined,
      limit,
      after: q["page[after]"] || undefined,
    });
    return c.json({
      data: page.data.map((t) => waitToken(t, url(t.id), false)),
      pagination: { next: page.nextCursor },
    });
  });

  app.get("/api/v1/waitpoints/tokens/:tokenId", async (c) => {
    const id = c.req.param("tokenId");
    const principal = c.get("principal");
    if (principal.kind === "public" && !principal.grants.canReadToken(id))
      throw forbidden(`reading token "${id}"`);
    return c.json(waitToken(await engine.retrieveToken(id), url(id), true));
  });

  app.post("/api/v1/waitpoints/tokens/:tokenId/complete", async (c) => {
    const id = c.req.param("tokenId");
    const principal = c.get("principal");
    if (principal.kind === "public" && !principal.grants.canCompleteToken(id))
      throw forbidden(`completing token "${id}"`);
    const body = await readJson(c, completeTokenBody, ctx.limits.maxBodyBytes);
    return c.json(await engine.completeToken(id, body.data ?? undefined));
  });

  return app;
}

/**
 * The callback URL a token carries (`token.url`): a POST there completes the token with the
 * request's JSON body, no key needed; the URL's signature is the credential.
 */
export function callbackRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.post("/api/v1/waitpoints/tokens/:tokenId/callback/:signature", async (c) => {
    const id = c.req.param("tokenId");
    if (!ctx.signer.verify("token", id, c.req.param("signature"))) {
      throw new HttpError(401, "INVALID_SIGNATURE", "This callback URL is not valid for this token");
    }
    const text = await readText(c, ctx.limits.maxBodyBytes);
    const data = text.trim() === "" ? undefined : decodePacket(text, "application/json");
    return c.json(await ctx.engine.completeToken(id, data));
  });
  return app;
}
