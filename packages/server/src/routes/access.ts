import type { Run } from "@mainspring/sdk";
import type { Context } from "hono";
import { forbidden, requireSecret } from "../auth/middleware.js";
import type { AppEnv, ServerContext } from "../context.js";

/** Loads a run the caller may read: 404 if it does not exist, 403 if the token does not cover it. */
export async function readableRun(ctx: ServerContext, c: Context<AppEnv>, runId: string): Promise<Run> {
  const run = await ctx.engine.retrieveRun(runId);
  const principal = c.get("principal");
  if (principal.kind === "public" && !principal.grants.canReadRun(run))
    throw forbidden(`reading run "${runId}"`);
  return run;
}

/** Changing runs (cancel, replay, reschedule, tags, metadata) needs a secret key. */
export function writableRun(c: Context<AppEnv>): void {
  requireSecret(c.get("principal"));
}
