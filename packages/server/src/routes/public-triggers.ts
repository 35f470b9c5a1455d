import { createHash } from "node:crypto";
import { resolveIdempotencyKey, type TriggerOptions } from "@mainspring/sdk";
import { forbidden } from "../auth/middleware.js";
import type { Principal } from "../context.js";
import { HttpError } from "../http/errors.js";

type PublicPrincipal = Extract<Principal, { kind: "public" }>;

/**
 * What a browser holding a trigger token may ask for. Queue, concurrency key and priority
 * are the server's to choose (a token could otherwise step out of its tenant's limits); tags
 * only those the token can read (else it could write into another tenant's feeds); and its
 * idempotency keys are its own: scoped by the token, so a key cannot find someone else's run
 * (and hand back a token that reads it).
 */
export function publicTriggerOptions(principal: PublicPrincipal, options: TriggerOptions): TriggerOptions {
  for (const field of ["queue", "concurrencyKey", "priority"] as const) {
    if (options[field] !== undefined) {
      throw new HttpError(
        403,
        "FORBIDDEN",
        `A public access token cannot set \`${field}\`; the server sets it`,
      );
    }
  }
  const tags = options.tags === undefined ? [] : [options.tags].flat();
  const readable = principal.grants.readableTags();
  for (const tag of tags) {
    if (readable !== "all" && !readable.includes(tag)) throw forbidden(`tagging runs "${tag}"`);
  }
  const key = resolveIdempotencyKey(options.idempotencyKey);
  return key === undefined ? options : { ...options, idempotencyKey: scopedKey(principal, key) };
}

/** A caller's idempotency key, hashed with its token (64 hex: the engine takes it as is). */
export function scopedKey(principal: PublicPrincipal, key: string): string {
  return createHash("sha256").update(`public\u0000${principal.token}\u0000${key}`).digest("hex");
}
