import type { Context } from "hono";
import { Hono } from "hono";
import { forbidden } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { decodePacket, readJson } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import { toTriggerOptions, triggerBody } from "../http/trigger-body.js";
import { refundOneTimeToken, spendOneTimeToken } from "./one-time-tokens.js";
import { publicTriggerOptions } from "./public-triggers.js";

/** Public access token lifetime on trigger handles (the official client's default is 1h). */
export const HANDLE_TOKEN_TTL = "1h";

/** Decodes a wire payload, fetching it first when the client offloaded it. */
export async function wirePayload(
  ctx: ServerContext,
  payload: unknown,
  payloadType: string | undefined,
): Promise<unknown> {
  if (payloadType === "application/store") {
    if (typeof payload !== "string")
      throw new HttpError(400, "INVALID_REQUEST", "An application/store payload names a packet");
    return ctx.packets.resolve(payload);
  }
  return decodePacket(payload, payloadType);
}

/** Sets `x-trigger-jwt`: the official client puts this token on the handle it returns. */
export async function attachHandleToken(
  c: Context<AppEnv>,
  ctx: ServerContext,
  scopes: string[],
): Promise<void> {
  const principal = c.get("principal");
  const sub = principal.kind === "secret" ? principal.keyId : principal.sub;
  c.header("x-trigger-jwt", await ctx.tokens.sign({ sub, scopes, expiresIn: HANDLE_TOKEN_TTL }));
}

export function taskRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  // tasks.trigger / myTask.trigger
  app.post("/api/v1/tasks/:taskId/trigger", async (c) => {
    const taskId = c.req.param("taskId");
    const principal = c.get("principal");
    if (principal.kind === "public" && !principal.grants.canTrigger(taskId))
      throw forbidden(`triggering "${taskId}"`);
    const body = await readJson(c, triggerBody, ctx.limits.maxBodyBytes);
    const payload = await wirePayload(ctx, body.payload, body.options?.payloadType);
    let options = toTriggerOptions(body.options);
    if (principal.kind === "public") {
      options = publicTriggerOptions(principal, options);
      // spent only once the request is known to be valid; given back if the trigger fails
      if (principal.oneTimeUse) await spendOneTimeToken(ctx, principal.token);
    }
    let handle: Awaited<ReturnType<typeof ctx.engine.trigger>>;
    try {
      handle = await ctx.engine.trigger(taskId, payload, options);
    } catch (error) {
      if (principal.kind === "public" && principal.oneTimeUse) await refundOneTimeToken(ctx, principal.token);
      throw error;
    }
    await attachHandleToken(c, ctx, [`read:runs:${handle.id}`]);
    return c.json({ id: handle.id, isCached: handle.isCached });
  });

  return app;
}
