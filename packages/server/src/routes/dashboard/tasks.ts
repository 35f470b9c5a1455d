import { allTasks, getTask, MainspringError, parsePayload, scheduledTaskIds } from "@mainspring/sdk";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv, ServerContext } from "../../context.js";
import { readJson } from "../../http/body.js";

/**
 * The JSON Schema of a schemaTask's payload (what it accepts as input), when its schema is a
 * zod v4 schema; undefined for other schema libraries or types JSON Schema cannot express.
 */
export function payloadJsonSchema(schema: unknown): Record<string, unknown> | undefined {
  if (!schema || typeof schema !== "object" || !("_zod" in schema)) return undefined;
  try {
    return z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

const validateBody = z.object({ payload: z.unknown() });

/** The tasks this process knows (ids, queues, payload schemas), and payload checks for the test page. */
export function dashboardTaskRoutes(_ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/dashboard/tasks", (c) => {
    const scheduled = new Set(scheduledTaskIds());
    const tasks = allTasks()
      .map((t) => ({
        id: t.id,
        queue: t.queueName,
        description: t.options.description as string | undefined,
        filePath: t.filePath || undefined,
        exportName: t.exportName || undefined,
        scheduled: scheduled.has(t.id),
        maxAttempts: t.options.retry?.maxAttempts as number | undefined,
        maxDuration: t.options.maxDuration as number | undefined,
        hasSchema: t.schema !== undefined,
        payloadSchema: payloadJsonSchema(t.schema),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ data: tasks });
  });

  // the schema's own verdict (refinements included), without triggering anything
  app.post("/api/v1/dashboard/tasks/:taskId/validate", async (c) => {
    const id = c.req.param("taskId");
    const def = getTask(id);
    if (!def) throw new MainspringError("TASK_NOT_FOUND", `Task "${id}" is not defined`);
    const { payload } = await readJson(c, validateBody, _ctx.limits.maxBodyBytes);
    try {
      parsePayload(def, payload);
      return c.json({ ok: true });
    } catch (error) {
      if (error instanceof MainspringError && error.code === "INVALID_PAYLOAD")
        return c.json({ ok: false, error: error.message, issues: error.details });
      throw error;
    }
  });

  return app;
}
