/**
 * Agent execution (issue 7) on both stores: the AI SDK's mock model (streamed text, a tool
 * call, usage), a local OpenAI-compatible HTTP server (the real HTTP + SSE path), history and
 * stats, no provider, the monthly token budget, and an approval in the middle of a run that
 * does not call the model again for the work before it.
 */
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import { runs } from "@mainspring/sdk";
import { MockLanguageModelV3, simulateReadableStream } from "ai/test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AgentStreamChunk } from "../src/crm/agents/llm.js";
import { providerFromEnv, setAgentModelProvider } from "../src/crm/agents/provider.js";
import { createAgent, getAgent, listExecutions } from "../src/crm/agents/store.js";
import { completeApproval, listApprovals } from "../src/crm/approvals/approvals.js";
import { insertProspects } from "../src/crm/prospects.js";
import type { CrmDb } from "../src/db/store.js";
import { agentOutputStream, executeAgentTask } from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, waitFor, workspace } from "./helpers.js";
import { startLlmServer } from "./llm-server.js";

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

function mockStream(parts: LanguageModelV3StreamPart[]) {
  return { stream: simulateReadableStream({ chunks: parts, chunkDelayInMs: 1 }) };
}

/** Turn 1: "Let me check. " then lookup_prospect; turn 2: "Ada is qualified." */
function scriptedMock() {
  return new MockLanguageModelV3({
    modelId: "gpt-4o-mini",
    doStream: [
      mockStream([
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t1" },
        { type: "text-delta", id: "t1", delta: "Let me " },
        { type: "text-delta", id: "t1", delta: "check. " },
        { type: "text-end", id: "t1" },
        {
          type: "tool-call",
          toolCallId: "call-1",
          toolName: "lookup_prospect",
          input: JSON.stringify({ query: "ada@acme.io" }),
        },
        { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage: usage(10, 5) },
      ]),
      mockStream([
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t2" },
        { type: "text-delta", id: "t2", delta: "Ada is " },
        { type: "text-delta", id: "t2", delta: "qualified." },
        { type: "text-end", id: "t2" },
        { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: usage(20, 7) },
      ]),
    ],
  });
}

async function readAll(runId: string): Promise<AgentStreamChunk[]> {
  const chunks: AgentStreamChunk[] = [];
  for await (const c of await agentOutputStream.read(runId, { timeoutInSeconds: 10 })) chunks.push(c);
  return chunks;
}

const ENV_KEYS = [
  "AI_PROVIDER",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "AI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "AI_MONTHLY_TOKEN_BUDGETS",
];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`agents on ${store.name}`, () => {
    let db: CrmDb;
    let close: () => Promise<void>;

    beforeAll(async () => {
      for (const k of ENV_KEYS) delete process.env[k];
      ({ db, close } = await openCrm(store));
    });
    afterEach(() => {
      setAgentModelProvider(undefined);
      delete process.env.AI_MONTHLY_TOKEN_BUDGETS;
    });
    afterAll(async () => {
      await close?.();
      for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
    });

    it("mock model: tokens, the tool call, its result and usage stream in order; history and stats are right", async () => {
      const ws = await workspace(db, "professional");
      await insertProspects(db, ws.id, [
        { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.io", company: "Acme", stage: "qualified" },
      ]);
      const agent = await createAgent(db, ws.id, {
        name: "Qualifier",
        systemPrompt: "You qualify leads.",
        model: "gpt-4o-mini",
        promptTemplate: "Is {{email}} qualified?",
        inputSchema: { required: ["email"], properties: { email: { type: "string" } } },
        tools: ["lookup_prospect"],
      });
      const mock = scriptedMock();
      setAgentModelProvider({ name: "mock", defaultModel: "gpt-4o-mini", languageModel: () => mock });

      const handle = await executeAgentTask.trigger({
        agentId: agent.id,
        workspaceId: ws.id,
        inputs: { email: "ada@acme.io" },
        triggeredBy: "user-1",
      });
      const run = await finished(handle.id);
      expect(run.status).toBe("COMPLETED");
      const chunks = await readAll(handle.id);
      expect(chunks.map((c) => c.type)).toEqual([
        "status",
        "token",
        "token",
        "tool-call",
        "tool-result",
        "token",
        "token",
        "usage",
        "done",
      ]);
      expect(chunks.filter((c) => c.type === "token").map((c) => c.content)).toEqual([
        "Let me ",
        "check. ",
        "Ada is ",
        "qualified.",
      ]);
      for (const c of chunks) expect(Number.isNaN(Date.parse(c.timestamp))).toBe(false);
      const toolCall = chunks.find((c) => c.type === "tool-call")!;
      expect(toolCall).toMatchObject({ toolName: "lookup_prospect", input: { query: "ada@acme.io" } });
      const toolResult = chunks.find((c) => c.type === "tool-result")!;
      expect((toolResult.output as { prospects: Array<{ email: string; stage: string }> }).prospects).toEqual(
        [expect.objectContaining({ email: "ada@acme.io", stage: "qualified" })],
      );
      expect(chunks.find((c) => c.type === "usage")?.usage).toEqual({
        inputTokens: 30,
        outputTokens: 12,
        totalTokens: 42,
      });
      // the model saw the system prompt, the rendered template, then the tool's result
      expect(JSON.stringify(mock.doStreamCalls[0]!.prompt)).toContain("Is ada@acme.io qualified?");
      expect(JSON.stringify(mock.doStreamCalls[1]!.prompt)).toContain("Lovelace");

      const [execution] = await listExecutions(db, agent.id);
      expect(execution).toMatchObject({
        runId: handle.id,
        status: "completed",
        inputs: { email: "ada@acme.io" },
        output: "Let me check. Ada is qualified.",
        triggeredBy: "user-1",
        model: "gpt-4o-mini",
        inputTokens: 30,
        outputTokens: 12,
        totalTokens: 42,
        toolCalls: 1,
        error: null,
      });
      // gpt-4o-mini: $0.15 / $0.60 per million tokens
      expect(execution!.costUsd).toBeCloseTo((30 * 0.15 + 12 * 0.6) / 1e6, 9);
      expect(execution!.usageByModel["gpt-4o-mini"]).toMatchObject({ inputTokens: 30, outputTokens: 12 });
      expect(execution!.durationMs).toBeGreaterThanOrEqual(0);
      expect(run.output).toMatchObject({
        executionId: execution!.id,
        output: "Let me check. Ada is qualified.",
        usage: { totalTokens: 42 },
      });

      // a failing execution: recorded with its error, stats move in the same transaction
      setAgentModelProvider({
        name: "mock",
        defaultModel: "gpt-4o-mini",
        languageModel: () =>
          new MockLanguageModelV3({
            doStream: async () => {
              throw new Error("upstream 503");
            },
          }),
      });
      const failing = await executeAgentTask.trigger({
        agentId: agent.id,
        workspaceId: ws.id,
        inputs: { email: "x@y.z" },
      });
      const failedRun = await finished(failing.id);
      expect(failedRun.status).toBe("FAILED");
      expect(failedRun.attemptCount).toBe(2); // a provider failure is retried once
      const history = await listExecutions(db, agent.id);
      expect(history).toHaveLength(2);
      expect(history.find((e) => e.runId === failing.id)).toMatchObject({
        status: "failed",
        errorCode: "AI_PROVIDER_FAILED",
      });
      expect(history.find((e) => e.runId === failing.id)!.error).toContain("upstream 503");
      const { stats } = await getAgent(db, ws.id, agent.id);
      expect(stats).toMatchObject({ runs: 2, succeeded: 1, failed: 1, successRate: 0.5, totalTokens: 42 });
    });

    it("without a provider, execute-agent fails at once saying how to configure one", async () => {
      const ws = await workspace(db, "starter");
      const agent = await createAgent(db, ws.id, { name: "Nobody home" });
      const handle = await executeAgentTask.trigger({ agentId: agent.id, workspaceId: ws.id, inputs: {} });
      const run = await finished(handle.id);
      expect(run.status).toBe("FAILED");
      expect(run.attemptCount).toBe(1);
      expect(run.error?.message).toMatch(/No LLM provider is configured.*OPENAI_BASE_URL/);
      const [execution] = await listExecutions(db, agent.id);
      expect(execution).toMatchObject({ status: "failed", errorCode: "AI_PROVIDER_NOT_CONFIGURED" });
      expect((await getAgent(db, ws.id, agent.id)).stats).toMatchObject({
        runs: 1,
        failed: 1,
        successRate: 0,
      });
    });

    it("bad inputs and a spent monthly token budget fail with clear errors, without calling the model", async () => {
      const ws = await workspace(db, "free");
      const agent = await createAgent(db, ws.id, {
        name: "Budgeted",
        inputSchema: { required: ["email"], properties: { email: { type: "string" } } },
      });
      const mock = scriptedMock();
      setAgentModelProvider({ name: "mock", defaultModel: "gpt-4o-mini", languageModel: () => mock });
      const bad = await finished(
        (await executeAgentTask.trigger({ agentId: agent.id, workspaceId: ws.id, inputs: { email: 42 } })).id,
      );
      expect(bad.error?.message).toContain('input "email" must be string');
      expect(mock.doStreamCalls).toHaveLength(0);

      process.env.AI_MONTHLY_TOKEN_BUDGETS = JSON.stringify({ free: 40 });
      const first = await finished(
        (
          await executeAgentTask.trigger({
            agentId: agent.id,
            workspaceId: ws.id,
            inputs: { email: "a@b.c" },
          })
        ).id,
      );
      expect(first.status).toBe("COMPLETED"); // 42 tokens: the budget was not spent when it started
      const second = await finished(
        (
          await executeAgentTask.trigger({
            agentId: agent.id,
            workspaceId: ws.id,
            inputs: { email: "a@b.c" },
          })
        ).id,
      );
      expect(second.status).toBe("FAILED");
      expect(second.attemptCount).toBe(1);
      expect(second.error?.message).toMatch(/used 42 of its 40 agent tokens this month/);
      expect(mock.doStreamCalls).toHaveLength(2); // only the first execution's two turns
      const history = await listExecutions(db, agent.id);
      expect(history.find((e) => e.runId === second.id)).toMatchObject({
        status: "failed",
        errorCode: "TOKEN_BUDGET_EXCEEDED",
      });
    });

    it("OpenAI-compatible HTTP server: tokens arrive live and in order; an approval resumes without calling the model again", async () => {
      const llm = await startLlmServer(
        (request, i) => {
          if (i === 0) {
            return {
              tokens: ["I will ", "email ", "Ada."],
              toolCalls: [
                {
                  name: "request_approval",
                  arguments: { title: "Email Ada", description: "Send the proposal" },
                },
              ],
              usage: { prompt: 50, completion: 9 },
            };
          }
          const last = request.messages.at(-1)!;
          const approved = last.role === "tool" && String(last.content).includes('"approved":true');
          return {
            tokens: approved ? ["Sent ", "the ", "proposal."] : ["Not ", "sent."],
            usage: { prompt: 80, completion: 4 },
          };
        },
        { tokenDelayMs: 5 },
      );
      try {
        setAgentModelProvider(providerFromEnv({ OPENAI_BASE_URL: llm.url, AI_MODEL: "local-model" }));
        const ws = await workspace(db, "enterprise");
        const agent = await createAgent(db, ws.id, {
          name: "Mailer",
          systemPrompt: "Ask before emailing.",
          tools: ["request_approval"],
        });
        const handle = await executeAgentTask.trigger({
          agentId: agent.id,
          workspaceId: ws.id,
          inputs: { task: "email Ada" },
        });

        // a live reader: the first turn's tokens arrive while the run is still going (it waits for approval)
        const live: AgentStreamChunk[] = [];
        const reading = (async () => {
          for await (const c of await agentOutputStream.read(handle.id, { timeoutInSeconds: 20 }))
            live.push(c);
        })();
        await waitFor(() => live.some((c) => c.type === "tool-call"), {
          what: "the approval tool call on the stream",
        });
        const approval = await waitFor(
          async () => (await listApprovals(db, ws.id, { status: "pending" }))[0],
          { what: "a pending approval" },
        );
        expect(approval).toMatchObject({
          type: "agent-action",
          title: "Email Ada",
          description: "Send the proposal",
          requestedBy: `agent:${agent.id}`,
        });
        await waitFor(async () => (await runs.retrieve(handle.id)).status === "WAITING", {
          what: "the run to wait",
        });
        expect((await listExecutions(db, agent.id))[0]).toMatchObject({ status: "waiting_approval" });
        expect(live.filter((c) => c.type === "token").map((c) => c.content)).toEqual([
          "I will ",
          "email ",
          "Ada.",
        ]);

        await completeApproval(approval.id, { approved: true, approver: "user-9", comment: "go ahead" });
        const run = await finished(handle.id);
        await reading;
        expect(run.status).toBe("COMPLETED");
        expect(llm.requests).toHaveLength(2); // the turn before the approval was not asked again
        expect(llm.requests[0]!.stream).toBe(true);
        expect(llm.requests[0]!.tools?.map((t) => t.function.name)).toEqual(["request_approval"]);
        const toolMessage = llm.requests[1]!.messages.find((m) => m.role === "tool")!;
        expect(JSON.parse(String(toolMessage.content))).toEqual({
          approved: true,
          approver: "user-9",
          comment: "go ahead",
        });

        expect(live.map((c) => c.type)).toEqual([
          "status",
          "token",
          "token",
          "token",
          "tool-call",
          "usage",
          "approval",
          "token",
          "token",
          "token",
          "usage",
          "done",
        ]);
        expect(
          live
            .filter((c) => c.type === "token")
            .map((c) => c.content)
            .join(""),
        ).toBe("I will email Ada.Sent the proposal.");
        expect(await readAll(handle.id)).toEqual(live); // a late reader gets the same stream from the start
        const [execution] = await listExecutions(db, agent.id);
        expect(execution).toMatchObject({
          status: "completed",
          output: "I will email Ada.Sent the proposal.",
          inputTokens: 130,
          outputTokens: 13,
          totalTokens: 143,
          approvalId: approval.id,
          model: "local-model",
          costUsd: 0, // a local model has no price
        });
        expect(run.output).toMatchObject({
          approvals: [{ approvalId: approval.id, approved: true, approver: "user-9" }],
        });
        expect((await getAgent(db, ws.id, agent.id)).stats).toMatchObject({
          runs: 1,
          succeeded: 1,
          successRate: 1,
          totalTokens: 143,
        });
      } finally {
        await llm.close();
      }
    }, 30_000);
  });
}
