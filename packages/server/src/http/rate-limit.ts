import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { HttpError } from "./errors.js";

/**
 * Requests per caller per minute, counted in this process over a sliding window of two
 * fixed minutes (the previous minute's count weighted by how much of it still overlaps).
 * The caller is the secret key, the token's subject, or the client address. With several API
 * processes each enforces the limit on its own share; put a proxy in front for a global cap.
 */
export function rateLimit(requestsPerMinute: number): MiddlewareHandler<AppEnv> {
  const windows = new Map<string, { minute: number; current: number; previous: number }>();
  return async (c, next) => {
    if (requestsPerMinute <= 0) return next();
    const principal = c.get("principal");
    // every token counts on its own (tokens minted from one key must not share one budget)
    const caller =
      principal.kind === "secret"
        ? principal.keyId
        : `token:${createHash("sha256").update(principal.token).digest("base64url").slice(0, 22)}`;
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    let w = windows.get(caller);
    if (!w || w.minute < minute - 1) w = { minute, current: 0, previous: 0 };
    else if (w.minute === minute - 1) w = { minute, current: 0, previous: w.current };
    const overlap = 1 - (now % 60_000) / 60_000;
    const estimate = w.previous * overlap + w.current;
    if (estimate >= requestsPerMinute) {
      windows.set(caller, w);
      const retryAfter = Math.max(1, Math.ceil(60 - (now % 60_000) / 1000));
      c.header("Retry-After", String(retryAfter));
      throw new HttpError(
        429,
        "RATE_LIMITED",
        `Too many requests: the limit is ${requestsPerMinute} per minute per key. Retry after ${retryAfter} s.`,
      );
    }
    w.current++;
    windows.set(caller, w);
    if (windows.size > 100_000) windows.clear();
    await next();
  };
}
