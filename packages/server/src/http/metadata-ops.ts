import type { JsonValue, RunMetadata } from "@mainspring/sdk";
import { z } from "zod";

/**
 * Trigger.dev's metadata wire format (`FlushedRunMetadata`): a whole new value and/or a list
 * of operations, applied in order. Parent and root operations are for runs updating their
 * ancestors from inside; over HTTP they are refused rather than silently dropped.
 */
const operation = z.discriminatedUnion("type", [
  z.object({ type: z.literal("set"), key: z.string(), value: z.unknown() }),
  z.object({ type: z.literal("delete"), key: z.string() }),
  z.object({ type: z.literal("append"), key: z.string(), value: z.unknown() }),
  z.object({ type: z.literal("remove"), key: z.string(), value: z.unknown() }),
  z.object({ type: z.literal("increment"), key: z.string(), value: z.number() }),
  z.object({ type: z.literal("update"), value: z.record(z.string(), z.unknown()) }),
]);

export const metadataBody = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  operations: z.array(operation).optional(),
  parentOperations: z.array(operation).max(0, "parent operations cannot be sent over HTTP").optional(),
  rootOperations: z.array(operation).max(0, "root operations cannot be sent over HTTP").optional(),
});

export type MetadataBody = z.infer<typeof metadataBody>;

export function applyMetadata(current: RunMetadata, body: MetadataBody): RunMetadata {
  let data: Record<string, unknown> = body.metadata ? { ...body.metadata } : current;
  for (const op of body.operations ?? []) {
    switch (op.type) {
      case "set":
        data[op.key] = op.value;
        break;
      case "delete":
        delete data[op.key];
        break;
      case "append": {
        const existing = data[op.key];
        data[op.key] = Array.isArray(existing)
          ? [...existing, op.value]
          : existing === undefined
            ? [op.value]
            : [existing, op.value];
        break;
      }
      case "remove": {
        const existing = data[op.key];
        if (Array.isArray(existing)) {
          const needle = JSON.stringify(op.value);
          data[op.key] = existing.filter((item) => JSON.stringify(item) !== needle);
        }
        break;
      }
      case "increment": {
        const existing = data[op.key];
        data[op.key] = (typeof existing === "number" ? existing : 0) + op.value;
        break;
      }
      case "update":
        data = { ...data, ...op.value };
        break;
    }
  }
  return data as Record<string, JsonValue>;
}
