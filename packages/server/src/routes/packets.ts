import { Hono } from "hono";
import { requireSecret } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { readText } from "../http/body.js";
import { HttpError } from "../http/errors.js";

/**
 * Offloaded payloads: the client asks for an upload URL, then PUTs the packet to it. The
 * upload URL is signed, so it needs no key; the packet is bounded by the payload limit.
 */
export function packetRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  app.put("/api/v2/packets/:name{.+}", async (c) => {
    requireSecret(c.get("principal"));
    const name = c.req.param("name");
    const signature = ctx.signer.sign("packet", name);
    return c.json({
      presignedUrl: `${ctx.publicUrl}/packets/${encodeURIComponent(name)}?signature=${signature}`,
      storagePath: name,
    });
  });

  return app;
}

/** The upload target of a presigned packet URL (no key: the signature is the credential). */
export function packetUploadRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.put("/packets/:name{.+}", async (c) => {
    const name = c.req.param("name");
    if (!ctx.signer.verify("packet", name, c.req.query("signature") ?? "")) {
      throw new HttpError(401, "INVALID_SIGNATURE", "This upload URL is not valid");
    }
    const data = await readText(c, ctx.limits.maxBodyBytes);
    await ctx.packets.put(name, data, c.req.header("content-type") ?? "application/json");
    return c.body(null, 200);
  });
  return app;
}
