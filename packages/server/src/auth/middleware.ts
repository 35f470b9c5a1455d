import type { MiddlewareHandler } from "hono";
import type { AppEnv, Principal, ServerContext } from "../context.js";
import { HttpError } from "../http/errors.js";
import { Grants } from "./scopes.js";

/**
 * Resolves `Authorization: Bearer …` (or `?token=` for EventSource, which cannot send
 * headers) to a principal. Secret keys are looked up by hash; anything else must be a
 * public access token this server signed.
 */
export function authenticate(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    // `?token=` only for realtime GETs (EventSource cannot send headers), and never a secret key:
    // query strings end up in proxy logs
    const queryToken =
      c.req.method === "GET" && c.req.path.startsWith("/api/v1/realtime/") ? c.req.query("token") : undefined;
    if (queryToken?.startsWith("tr_")) {
      throw new HttpError(
        400,
        "KEY_IN_URL",
        "Never put a secret key in a URL; send it as `Authorization: Bearer`",
      );
    }
    const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : queryToken;
    if (!token) {
      throw new HttpError(
        401,
        "UNAUTHENTICATED",
        "Send a secret key or public access token as `Authorization: Bearer <token>`",
      );
    }
    const principal = await resolvePrincipal(ctx, token);
    // a dashboard session is a secret key's equal: kept out of URLs like a key
    if (principal.kind === "secret" && !header?.startsWith("Bearer ")) {
      throw new HttpError(
        400,
        "KEY_IN_URL",
        "Never put a session in a URL; send it as `Authorization: Bearer`",
      );
    }
    c.set("principal", principal);
    await next();
  };
}

async function resolvePrincipal(ctx: ServerContext, token: string): Promise<Principal> {
  if (token.startsWith("tr_")) {
    const key = await ctx.keys.verify(token);
    if (!key) throw new HttpError(401, "INVALID_API_KEY", "This secret key is unknown or revoked");
    return { kind: "secret", keyId: key.id, environment: key.environment };
  }
  const claims = await ctx.tokens.verify(token);
  if (claims === "expired") throw new HttpError(401, "TOKEN_EXPIRED", "This public access token has expired");
  if (claims === "invalid") {
    // a dashboard session acts with a secret key's rights (see auth/dashboard-sessions.ts)
    const session = await ctx.sessions.verify(token);
    if (session && (session.sub === "password" || (await ctx.keys.isLive(session.sub)))) {
      return {
        kind: "secret",
        keyId: session.sub === "password" ? ctx.sessions.passwordPrincipal() : session.sub,
        environment: "dev",
      };
    }
    throw new HttpError(401, "INVALID_TOKEN", "This access token is not valid for this server");
  }
  // a token dies with the key that minted it (tokens the server's own code signs name no key)
  if (claims.sub.startsWith("key_") && !(await ctx.keys.isLive(claims.sub))) {
    throw new HttpError(401, "TOKEN_REVOKED", "The key that issued this token was revoked");
  }
  // minted by a password session: dies when the dashboard password changes or is removed
  if (claims.sub.startsWith("dashboard:") && !ctx.sessions.isLivePasswordPrincipal(claims.sub)) {
    throw new HttpError(401, "TOKEN_REVOKED", "The dashboard password that issued this token changed");
  }
  return {
    kind: "public",
    sub: claims.sub,
    grants: new Grants(claims.scopes),
    oneTimeUse: claims.oneTimeUse ?? false,
    token,
  };
}

/** Secret-key-only endpoints (listing everything, creating tokens, schedules, keys). */
export function requireSecret(
  principal: Principal,
): asserts principal is Extract<Principal, { kind: "secret" }> {
  if (principal.kind !== "secret") {
    throw new HttpError(
      403,
      "FORBIDDEN",
      "This endpoint needs a secret key; public access tokens cannot use it",
    );
  }
}

export function forbidden(what: string): HttpError {
  return new HttpError(403, "FORBIDDEN", `This access token does not grant ${what}`);
}
