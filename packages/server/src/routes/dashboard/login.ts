import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, ServerContext } from "../../context.js";
import { readJson } from "../../http/body.js";
import { HttpError } from "../../http/errors.js";

const loginBody = z.union([
  z.object({ password: z.string().min(1).max(1024) }),
  z.object({ key: z.string().min(1).max(256) }),
]);

/** Login attempts per client address (an IPv6 /64) per minute, successes given back, before 429. */
const MAX_FAILURES_PER_MINUTE = 10;

/**
 * `POST /api/v1/dashboard/login`, the one dashboard endpoint without credentials: a secret
 * key or the dashboard password in, a session token out. Failed attempts are counted per
 * client address (in this process) to slow down password guessing.
 */
export function dashboardLoginRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const failures = new Map<string, { minute: number; count: number }>();

  const address = (c: Parameters<typeof getConnInfo>[0]) => {
    try {
      return getConnInfo(c).remote.address ?? "unknown";
    } catch {
      return "unknown";
    }
  };

  // what the login page offers
  app.get("/api/v1/dashboard/login", (c) => c.json({ password: ctx.sessions.passwordEnabled, key: true }));

  /** The client's bucket: its address, or its /64 for IPv6 (one host usually holds a whole /64). */
  const bucket = (ip: string) => (ip.includes(":") ? ip.split(":").slice(0, 4).join(":") : ip);

  app.post("/api/v1/dashboard/login", async (c) => {
    const from = bucket(address(c));
    const minute = Math.floor(Date.now() / 60_000);
    // Each attempt is counted before anything is awaited (so a burst of parallel guesses is
    // counted too) and given back on success.
    const seen = failures.get(from);
    const count = seen && seen.minute === minute ? seen.count : 0;
    if (count >= MAX_FAILURES_PER_MINUTE) {
      c.header("Retry-After", String(60 - Math.floor((Date.now() % 60_000) / 1000)));
      throw new HttpError(429, "RATE_LIMITED", "Too many failed logins from this address; wait a minute");
    }
    failures.set(from, { minute, count: count + 1 });
    if (failures.size > 10_000) {
      // past minutes only: never everyone's current count
      for (const [k, v] of failures) if (v.minute !== minute) failures.delete(k);
    }
    const fail = (message: string) => new HttpError(401, "INVALID_CREDENTIALS", message);
    const body = await readJson(c, loginBody, 16_384);
    let sub: string;
    if ("password" in body) {
      if (!ctx.sessions.passwordEnabled) {
        throw new HttpError(
          400,
          "PASSWORD_LOGIN_DISABLED",
          "No dashboard password is configured (MAINSPRING_DASHBOARD_PASSWORD); log in with a secret key",
        );
      }
      if (!ctx.sessions.checkPassword(body.password)) throw fail("Wrong password");
      sub = "password";
    } else {
      const key = body.key.startsWith("tr_") ? await ctx.keys.verify(body.key.trim()) : undefined;
      if (!key) throw fail("This secret key is unknown or revoked");
      sub = key.id;
    }
    const mine = failures.get(from);
    if (mine && mine.minute === minute) failures.set(from, { minute, count: Math.max(0, mine.count - 1) });
    const session = await ctx.sessions.sign(sub);
    return c.json({
      token: session.token,
      expiresAt: session.expiresAt,
      via: sub === "password" ? "password" : "key",
    });
  });

  return app;
}
