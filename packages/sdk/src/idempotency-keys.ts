import { createHash } from "node:crypto";
import { currentRun } from "./run-scope.js";

declare const idempotencyKeyBrand: unique symbol;
/** A key made by `idempotencyKeys.create`; a plain string is not one. */
export type IdempotencyKey = string & { [idempotencyKeyBrand]: true };

export type IdempotencyKeyScope = "run" | "attempt" | "global";

function hashKey(parts: string[]): string {
  return createHash("sha256").update(parts.join("-")).digest("hex");
}

/**
 * Trigger.dev's `idempotencyKeys`. `create(key, {scope})` hashes the key material with the
 * current run's id (scope "run", the default) or attempt (scope "attempt"), so a retried
 * parent does not trigger its child twice, while a different parent run does. Outside a run,
 * and with scope "global", the key is the same everywhere.
 */
export const idempotencyKeys = {
  async create(
    key: string | string[],
    options: { scope?: IdempotencyKeyScope } = {},
  ): Promise<IdempotencyKey> {
    const scope = options.scope ?? "run";
    const parts = Array.isArray(key) ? [...key] : [key];
    const scopeRun = currentRun();
    if (scopeRun && scope === "run") parts.push(scopeRun.ctx.run.id);
    if (scopeRun && scope === "attempt") parts.push(scopeRun.ctx.run.id, String(scopeRun.ctx.attempt.number));
    return hashKey(parts) as IdempotencyKey;
  },
};

/**
 * A finished key is a SHA-256 hex digest (what `create` returns, in this process or another);
 * Trigger.dev's SDK uses the same test. Remembering created keys instead would grow forever.
 */
export function isIdempotencyKey(value: unknown): value is IdempotencyKey {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

/**
 * The key stored for a trigger: a key from `idempotencyKeys.create` as is, a raw string or
 * array hashed with global scope (Trigger.dev v4's rule for raw strings).
 */
export function resolveIdempotencyKey(key: string | string[] | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (isIdempotencyKey(key)) return key;
  const parts = Array.isArray(key) ? key : [key];
  if (parts.length === 0 || parts.some((p) => typeof p !== "string" || p.length === 0)) return undefined;
  return hashKey(parts);
}
