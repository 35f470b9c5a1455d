import type { TriggerOptions } from "@mainspring/sdk";
import { z } from "zod";
import { decodePacket } from "./body.js";
import { HttpError } from "./errors.js";

/**
 * Trigger options as the official client sends them (`TriggerTaskRequestBody.options`).
 * Fields that only make sense on Trigger.dev's cloud (machine, region, lockToVersion,
 * payloadSize...) are accepted and ignored; the ones we cannot honour are refused.
 */
export const wireTriggerOptions = z
  .object({
    queue: z.object({ name: z.string() }).partial().optional(),
    concurrencyKey: z.string().optional(),
    delay: z.union([z.string(), z.coerce.date()]).optional(),
    idempotencyKey: z.string().max(2048).optional(),
    idempotencyKeyTTL: z.string().optional(),
    ttl: z.union([z.string(), z.number().int().nonnegative()]).optional(),
    tags: z.union([z.string(), z.array(z.string())]).optional(),
    maxAttempts: z.number().int().optional(),
    maxDuration: z.number().optional(),
    metadata: z.unknown().optional(),
    metadataType: z.string().optional(),
    payloadType: z.string().optional(),
    priority: z.number().optional(),
    test: z.boolean().optional(),
    debounce: z.unknown().optional(),
  })
  .passthrough();

export const triggerBody = z.object({
  payload: z.unknown().optional(),
  context: z.unknown().optional(),
  options: wireTriggerOptions.optional(),
});

export type WireTriggerOptions = z.infer<typeof wireTriggerOptions>;

export function toTriggerOptions(wire: WireTriggerOptions | undefined): TriggerOptions {
  if (!wire) return {};
  if (wire.debounce !== undefined) {
    throw new HttpError(400, "INVALID_OPTIONS", "`debounce` is not supported by Mainspring yet");
  }
  const metadata = wire.metadata === undefined ? undefined : decodePacket(wire.metadata, wire.metadataType);
  if (
    metadata !== undefined &&
    (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
  ) {
    throw new HttpError(400, "INVALID_OPTIONS", "`metadata` must be an object");
  }
  return {
    queue: wire.queue?.name,
    concurrencyKey: wire.concurrencyKey,
    delay: wire.delay,
    idempotencyKey: wire.idempotencyKey,
    idempotencyKeyTTL: wire.idempotencyKeyTTL,
    ttl: wire.ttl,
    tags: wire.tags,
    maxAttempts: wire.maxAttempts,
    maxDuration: wire.maxDuration,
    metadata: metadata as TriggerOptions["metadata"],
    priority: wire.priority,
  };
}
