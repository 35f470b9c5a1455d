import { Hono } from "hono";
import type { AppEnv, ServerContext } from "../../context.js";
import { waitToken } from "../../http/serialize.js";

/** A wait token with the runs blocked on it (listing and completing are the public API's). */
export function dashboardWaitpointRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const { engine } = ctx;

  app.get("/api/v1/dashboard/waitpoints/:tokenId", async (c) => {
    const id = c.req.param("tokenId");
    const token = await engine.retrieveToken(id);
    return c.json({
      token: { ...waitToken(token, engine.waits.callbackUrl(id), false), output: token.output },
      waitingRuns: await engine.inspect.waiters(id),
    });
  });

  return app;
}
