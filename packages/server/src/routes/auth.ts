import { Hono } from "hono";
import { z } from "zod";
import { requireSecret } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { readJson } from "../http/body.js";
import { HttpError } from "../http/errors.js";

const publicTokenBody = z.object({
  scopes: z.array(z.string().min(1)).min(1, "a public token needs at least one scope").max(100),
  expirationTime: z.union([z.string(), z.number()]).optional(),
  oneTimeUse: z.boolean().optional(),
  realtime: z.unknown().optional(),
});

const MAX_LIFETIME_S = 30 * 24 * 3600;

/**
 * Public access tokens. The official client asks `POST /api/v1/auth/public-tokens` to mint
 * one (our keys have the shape it treats as "additional keys", which it never signs with).
 */
export function authRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/auth/public-tokens", async (c) => {
    const principal = c.get("principal");
    requireSecret(principal);
    const body = await readJson(c, publicTokenBody, ctx.limits.maxBodyBytes);
    const expiresIn = body.expirationTime ?? "15m";
    let token: string;
    try {
      token = await ctx.tokens.sign({
        sub: principal.keyId,
        scopes: body.scopes,
        expiresIn,
        oneTimeUse: body.oneTimeUse,
      });
    } catch (error) {
      throw new HttpError(400, "INVALID_OPTIONS", `Invalid expirationTime: ${(error as Error).message}`);
    }
    // whatever form the lifetime took ("10y", epoch seconds), its result is what counts
    const claims = await ctx.tokens.verify(token);
    if (claims === "expired" || claims === "invalid" || claims.exp - Date.now() / 1000 > MAX_LIFETIME_S) {
      throw new HttpError(
        400,
        "INVALID_OPTIONS",
        "A public token must expire in the future and within 30 days",
      );
    }
    return c.json({ token });
  });

  // Claims the official client merges into tokens it signs itself (root keys only; ours never do).
  app.post("/api/v1/auth/jwt/claims", async (c) => {
    const principal = c.get("principal");
    requireSecret(principal);
    return c.json({ sub: principal.keyId, pub: true });
  });

  return app;
}
