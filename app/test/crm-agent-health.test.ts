/**
 * The hourly agent health check and process-active-agents (issue 7), on both stores: failing,
 * stuck and healthy agents are told apart, an unreachable provider makes every agent unhealthy,
 * results are stored (history + the agent's latest), and process-active-agents fans out.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setAgentModelProvider } from "../src/crm/agents/provider.js";
import { createAgent, finishExecution, getAgent, startExecution } from "../src/crm/agents/store.js";
import type { CrmDb } from "../src/db/store.js";
import {
  executeAgentTask,
  processActiveAgentsTask,
  scheduledAgentHealthCheckTask,
} from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, workspace } from "./helpers.js";
import { startLlmServer } from "./llm-server.js";

const tick = {
  type: "DECLARATIVE" as const,
  timestamp: new Date("2026-11-29T12:00:00Z"),
  timezone: "UTC",
  scheduleId: "sched_test",
  upcoming: [],
};

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`agent health on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await openCrm(store));
    });
    afterEach(() => setAgentModelProvider(undefined));
    afterAll(() => close?.());

    async function history(agentId: string, workspaceId: string, statuses: Array<"completed" | "failed">) {
      for (const [i, status] of statuses.entries()) {
        const e = await startExecution(db, {
          workspaceId,
          agentId,
          runId: `run_${agentId}_${i}`,
          inputs: {},
          model: "m",
        });
        await finishExecution(db, {
          executionId: e.id,
          agentId,
          status,
          error: status === "failed" ? "boom" : null,
        });
      }
    }

    it("flags failing and stuck agents, stores the results, and an unreachable provider makes all unhealthy", async () => {
      const llm = await startLlmServer(() => ({ usage: { prompt: 1, completion: 1 } }));
      try {
        const ws = await workspace(db, "professional");
        const healthy = await createAgent(db, ws.id, { name: "Healthy" });
        const failing = await createAgent(db, ws.id, { name: "Failing" });
        const stuck = await createAgent(db, ws.id, { name: "Stuck" });
        const paused = await createAgent(db, ws.id, { name: "Paused", status: "paused" });
        await history(healthy.id, ws.id, ["completed", "completed", "failed", "completed"]);
        await history(failing.id, ws.id, ["failed", "completed", "failed", "failed"]);
        const running = await startExecution(db, {
          workspaceId: ws.id,
          agentId: stuck.id,
          runId: "run_stuck",
          inputs: {},
          model: "m",
        });
        await db.query(
          `update crm_agent_executions set started_at = now() - interval '1 hour' where id = $1`,
          [running.id],
        );

        const { providerFromEnv } = await import("../src/crm/agents/provider.js");
        setAgentModelProvider(providerFromEnv({ OPENAI_BASE_URL: llm.url, AI_MODEL: "local-model" }));
        const run = await finished((await scheduledAgentHealthCheckTask.trigger(tick)).id);
        expect(run.status).toBe("COMPLETED");
        expect(run.output).toMatchObject({ provider: { ok: true, name: "openai-compatible" } });
        expect((run.output as { unhealthy: string[] }).unhealthy).toEqual([failing.id]);
        expect((run.output as { degraded: string[] }).degraded).toEqual([stuck.id]);
        expect((await getAgent(db, ws.id, healthy.id)).health).toMatchObject({
          status: "healthy",
          issues: [],
        });
        expect((await getAgent(db, ws.id, failing.id)).health).toMatchObject({
          status: "unhealthy",
          issues: [{ kind: "failure_rate", message: "3 of the last 4 executions failed (threshold 50%)" }],
        });
        expect((await getAgent(db, ws.id, stuck.id)).health).toMatchObject({
          status: "degraded",
          issues: [{ kind: "stuck_executions" }],
        });
        expect((await getAgent(db, ws.id, paused.id)).health).toBeNull(); // only active agents are checked

        // the provider goes away: every active agent is unhealthy, with the reason
        await llm.close();
        const down = await finished((await scheduledAgentHealthCheckTask.trigger(tick)).id);
        expect((down.output as { unhealthy: string[] }).unhealthy.sort()).toEqual(
          [healthy.id, failing.id, stuck.id].sort(),
        );
        expect((await getAgent(db, ws.id, healthy.id)).health).toMatchObject({
          status: "unhealthy",
          issues: [{ kind: "provider_unreachable" }],
        });
        const { rows } = await db.query<{ status: string }>(
          "select status from crm_agent_health_checks where agent_id = $1 order by checked_at, id",
          [healthy.id],
        );
        expect(rows.map((r) => r.status)).toEqual(["healthy", "unhealthy"]); // the history is kept
      } finally {
        await llm.close().catch(() => {});
      }
    });

    it("process-active-agents lists a workspace's active agents and, with inputs, executes each on its tier queue", async () => {
      const ws = await workspace(db, "starter");
      const a = await createAgent(db, ws.id, { name: "A" });
      const b = await createAgent(db, ws.id, { name: "B" });
      await createAgent(db, ws.id, { name: "Off", status: "paused" });
      const listed = await finished((await processActiveAgentsTask.trigger({ workspaceId: ws.id })).id);
      expect((listed.output as { agents: Array<{ id: string }> }).agents.map((x) => x.id).sort()).toEqual(
        [a.id, b.id].sort(),
      );
      expect(listed.output).toMatchObject({ triggered: [] });

      // no provider here: each triggered execution fails at once, recorded in the history
      const fanned = await finished(
        (await processActiveAgentsTask.trigger({ workspaceId: ws.id, inputs: { q: "hi" } })).id,
      );
      const triggered = (fanned.output as { triggered: Array<{ agentId: string; runId: string }> }).triggered;
      expect(triggered.map((t) => t.agentId).sort()).toEqual([a.id, b.id].sort());
      for (const t of triggered) {
        const child = await finished(t.runId);
        expect(child.taskIdentifier).toBe(executeAgentTask.id);
        expect(child.queue).toBe("standard-tier-queue");
        expect(child.tags).toContain(`workspace:${ws.id}`);
        expect(child.error?.message).toContain("No LLM provider is configured");
      }
    });
  });
}
