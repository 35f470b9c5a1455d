import type { Context } from "hono";
import superjson from "superjson";
import type { z } from "zod";
import { HttpError } from "./errors.js";

/**
 * Reads a JSON body and validates it: wrong content type is 415, unparsable JSON is 400
 * `INVALID_JSON`, a body over `maxBytes` is 413, a schema mismatch is 400 `INVALID_REQUEST`.
 */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
  maxBytes: number,
): Promise<z.infer<T>> {
  const type = c.req.header("content-type") ?? "";
  const text = await readText(c, maxBytes);
  if (text.trim() === "") return schema.parse({});
  if (!type.toLowerCase().includes("json")) {
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `Send JSON with "Content-Type: application/json" (got "${type || "none"}")`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      "INVALID_JSON",
      `The request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  return schema.parse(value);
}

export async function readText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(
    413,
    "PAYLOAD_TOO_LARGE",
    `The request body is larger than ${(maxBytes / 1024 / 1024).toFixed(1)} MB`,
  );
}

/**
 * Decodes a payload as the Trigger.dev client sends it: a string with a `payloadType` of
 * `application/json` or `application/super+json` (superjson keeps Dates, Maps, BigInts...).
 * Our store keeps JSON, so superjson values arrive in the task as their JSON forms.
 */
export function decodePacket(data: unknown, dataType: string | undefined): unknown {
  if (data === undefined || data === null) return data ?? undefined;
  if (typeof data !== "string") return data;
  switch (dataType ?? "application/json") {
    case "application/json":
      return parseOrThrow(() => JSON.parse(data));
    case "application/super+json":
      return parseOrThrow(() => superjson.parse(data));
    case "text/plain":
      return data;
    case "application/store":
      throw new HttpError(
        413,
        "PAYLOAD_TOO_LARGE",
        "Offloaded payloads (application/store) are not supported; payloads are limited to what fits in a request",
      );
    default:
      throw new HttpError(400, "INVALID_REQUEST", `Unsupported payloadType "${dataType}"`);
  }
}

function parseOrThrow(parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    throw new HttpError(400, "INVALID_JSON", `The payload could not be decoded: ${(error as Error).message}`);
  }
}
