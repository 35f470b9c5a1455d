import { createHash } from "node:crypto";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http/errors.js";

/**
 * One-time trigger tokens (`auth.createTriggerPublicToken` without `multipleUse`): the first
 * use records the token's hash; any later use, on any process, finds it and is refused.
 */
const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

export async function spendOneTimeToken(ctx: ServerContext, token: string): Promise<void> {
  const hash = hashOf(token);
  const { rowCount } = await ctx.engine.db.query(
    "insert into ms_spent_tokens (hash) values ($1) on conflict (hash) do nothing",
    [hash],
  );
  if (rowCount === 0)
    throw new HttpError(401, "TOKEN_ALREADY_USED", "This one-time trigger token has already been used");
}

/** Gives a spent token back when the trigger it paid for failed (nothing was created). */
export async function refundOneTimeToken(ctx: ServerContext, token: string): Promise<void> {
  await ctx.engine.db.query("delete from ms_spent_tokens where hash = $1", [hashOf(token)]);
}
