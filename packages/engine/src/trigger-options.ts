import { MainspringError, type TriggerOptions } from "@mainspring/sdk";
import { z } from "zod";
import { MAX_DURATION_S, MAX_TAG_LENGTH, MAX_TAGS } from "./limits.js";

const tag = z
  .string()
  .min(1, "a tag cannot be empty")
  .max(MAX_TAG_LENGTH, `a tag can have at most ${MAX_TAG_LENGTH} characters`);

export const tagsSchema = z
  .union([tag, z.array(tag)])
  .transform((t) => (Array.isArray(t) ? t : [t]))
  .refine((t) => new Set(t).size <= MAX_TAGS, `a run can have at most ${MAX_TAGS} tags`);

/** The trigger options, validated at the edge. Unknown keys are rejected so typos surface. */
const triggerOptionsSchema = z
  .object({
    idempotencyKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    idempotencyKeyTTL: z.string().optional(),
    tags: tagsSchema.optional(),
    delay: z.union([z.string().min(1), z.date()]).optional(),
    ttl: z.union([z.string().min(1), z.number().positive()]).optional(),
    queue: z.string().min(1).max(128).optional(),
    concurrencyKey: z.string().min(1).max(256).optional(),
    priority: z.number().int("priority is a whole number of seconds").min(0).max(31_536_000).optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    maxDuration: z
      .number()
      .int("maxDuration is a whole number of seconds")
      .min(5, "maxDuration is at least 5 seconds")
      .max(MAX_DURATION_S, `maxDuration is at most ${MAX_DURATION_S} seconds (24 days)`)
      .optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    // Accepted for Trigger.dev compatibility; a single-environment engine has no use for them.
    machine: z.string().optional(),
    version: z.string().optional(),
    test: z.boolean().optional(),
  })
  .strict();

export function validateTriggerOptions(options: unknown, where: string): TriggerOptions & { test?: boolean } {
  const result = triggerOptionsSchema.safeParse(options ?? {});
  if (result.success) return result.data as TriggerOptions;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "options"}: ${i.message}`)
    .join("; ");
  throw new MainspringError(
    "INVALID_OPTIONS",
    `Invalid trigger options ${where}: ${issues}`,
    result.error.issues,
  );
}
