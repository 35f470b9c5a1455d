/**
 * Issue 7's acceptance: an agent run asks for approval, the worker process is SIGKILLed while
 * the run waits and a new one starts, then the approval is posted. The run resumes once, the
 * model is not called again for the turn before the approval, and the execution completes.
 * Real processes (`mainspring worker` with the app's config) on PostgreSQL, and a local
 * OpenAI-compatible server as the provider.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runs } from "@mainspring/sdk";
import { afterAll, describe, expect, it } from "vitest";
import type { AgentStreamChunk } from "../src/crm/agents/llm.js";
import { createAgent, listExecutions } from "../src/crm/agents/store.js";
import { completeApproval, listApprovals } from "../src/crm/approvals/approvals.js";
import { agentOutputStream, executeAgentTask } from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";
import { startLlmServer } from "./llm-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];

async function worker(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      join(root, "packages/cli/bin/mainspring.js"),
      "--config",
      join(root, "app/mainspring.config.ts"),
      "worker",
    ],
    { env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await waitFor(() => out.includes("ready") || child.exitCode !== null, {
    timeoutMs: 60_000,
    what: "the worker to be ready",
  });
  if (child.exitCode !== null) throw new Error(`worker exited:\n${out}`);
  return { child, exited, output: () => out };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("an agent waiting for approval survives a killed worker", () => {
  it("SIGKILL while waiting, restart, approve: resumes once, the model is not called again, completes", async () => {
    const store = STORES[1]!(); // PostgreSQL: the test process and the workers share one schema
    const crm = await openCrm(store, false);
    const llm = await startLlmServer((request, i) =>
      i === 0
        ? {
            tokens: ["Drafted ", "the ", "offer."],
            toolCalls: [{ name: "request_approval", arguments: { title: "Send the offer to Acme" } }],
            usage: { prompt: 40, completion: 8 },
          }
        : {
            tokens: String(request.messages.at(-1)?.content).includes('"approved":true')
              ? ["Offer ", "sent."]
              : ["Cancelled."],
            usage: { prompt: 70, completion: 3 },
          },
    );
    try {
      const env = {
        DATABASE_URL: process.env.MAINSPRING_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
        MAINSPRING_DB_SCHEMA: store.schema!,
        OPENAI_BASE_URL: llm.url,
        AI_MODEL: "local-model",
      };
      const ws = await workspace(crm.db, "professional");
      const agent = await createAgent(crm.db, ws.id, { name: "Closer", tools: ["request_approval"] });

      const first = await worker(env);
      const handle = await executeAgentTask.trigger({
        agentId: agent.id,
        workspaceId: ws.id,
        inputs: { account: "Acme" },
      });
      const approval = await waitFor(
        async () => (await listApprovals(crm.db, ws.id, { status: "pending" }))[0],
        {
          timeoutMs: 30_000,
          what: "the agent's approval request",
        },
      );
      await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", {
        what: "the run to wait",
      });
      expect(llm.requests).toHaveLength(1);

      first.child.kill("SIGKILL");
      await first.exited;
      await worker(env);
      await completeApproval(approval.id, { approved: true, approver: "user-1", comment: "ok" });

      const run = await finished(handle.id, 30_000);
      expect(run.status).toBe("COMPLETED");
      expect(run.attemptCount).toBe(1);
      expect(llm.requests).toHaveLength(2); // the turn before the approval came from the journal
      expect(run.output).toMatchObject({
        output: "Drafted the offer.Offer sent.",
        approvals: [{ approvalId: approval.id, approved: true }],
      });

      const chunks: AgentStreamChunk[] = [];
      for await (const c of await agentOutputStream.read(handle.id, { timeoutInSeconds: 5 })) chunks.push(c);
      // every chunk once: the replay after the restart wrote nothing twice
      expect(chunks.map((c) => c.type)).toEqual([
        "status",
        "token",
        "token",
        "token",
        "tool-call",
        "usage",
        "approval",
        "token",
        "token",
        "usage",
        "done",
      ]);
      const executions = await listExecutions(crm.db, agent.id);
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({ status: "completed", totalTokens: 121, approvalId: approval.id });
      const children = await runs.list({ taskIdentifier: "request-approval" });
      expect(children.data.filter((r) => r.parentId === handle.id)).toHaveLength(1);
    } finally {
      await llm.close();
      await crm.close();
    }
  }, 120_000);
});
