import { createHash } from "node:crypto";
import type { ServerContext } from "../context.js";
import { HttpError } from "../http/errors.js";

/**
 * One-time trigger tokens (`auth.createTriggerPublicToken` without `multipleUse`): the first
 * use records the token's hash; any later use, on any process, finds it and is refused.
 */
export async function spendOneTimeToken(ctx: ServerContext, token: string): Promise<void> {
  const hash = createHash("sha256").update(token).digest("hex");
  const { rowCount } = await ctx.engine.db.query(
    "insert into ms_spent_tokens (hash) values ($1) on conflict (hash) do nothing",
    [hash],
  );
  if (rowCount === 0)
    throw new HttpError(401, "TOKEN_ALREADY_USED", "This one-time trigger token has already been used");
}
