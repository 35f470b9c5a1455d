import { logger, metadata, schedules, step, task } from "@mainspring/sdk";
import type { ModelMessage } from "ai";
import { z } from "zod";
import { AgentError, AgentInputError } from "../crm/agents/errors.js";
import { checkAgentHealth } from "../crm/agents/health.js";
import { type AgentStreamChunk, agentTools, chunk, runTurn } from "../crm/agents/llm.js";
import {
  type AgentModelProvider,
  agentModelProvider,
  costUsd,
  monthlyTokenBudget,
} from "../crm/agents/provider.js";
import {
  finishExecution,
  getAgent,
  listActiveAgents,
  renderPrompt,
  setExecutionStatus,
  startExecution,
  tokensUsedThisMonth,
  validateInputs,
} from "../crm/agents/store.js";
import { agentOutput } from "../crm/agents/stream.js";
import { resumeDecidedApprovals } from "../crm/approvals/approvals.js";
import { getWorkspace } from "../crm/workspaces.js";
import { crmStore } from "../db/store.js";
import { requestApprovalTask } from "./approvals.js";
import { buildWorkspaceQueueOptions, systemJobsQueue } from "./queues.js";

export const executeAgentPayload = z.object({
  agentId: z.string().min(1).max(128),
  workspaceId: z.string().min(1).max(128),
  inputs: z.record(z.string(), z.unknown()).default({}),
  triggeredBy: z.string().max(256).optional(),
  /** How long an approval the agent asks for may wait (default 24h); expiry is a rejection. */
  approvalTimeout: z.string().min(1).max(64).optional(),
});
export type ExecuteAgentPayload = z.input<typeof executeAgentPayload>;

export interface ExecuteAgentOutput {
  executionId: string;
  status: "completed";
  output: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  costUsd: number;
  toolCalls: number;
  approvals: Array<{
    approvalId: string;
    approved: boolean;
    approver: string | null;
    comment: string | null;
  }>;
}

/**
 * `execute-agent`: runs an agent (its model, system prompt and tools) on `inputs`, streaming
 * tokens, tool calls, approvals and usage to `agentOutputStream` as they arrive, and records
 * the execution (inputs, output, error, usage and cost per model, duration) with the agent's
 * stats in the transaction that ends it.
 *
 * Each model call is a `step.run` ("llm-turn-N"): when the model asks for approval the run
 * waits on a `request-approval` child (durably: it survives restarts and holds no slot), and
 * the replay after the decision returns the recorded turns instead of calling the model again.
 */
export const executeAgentTask = task({
  id: "execute-agent",
  retry: { maxAttempts: 2, minTimeoutInMs: 500, maxTimeoutInMs: 5_000 },
  maxDuration: 900,
  run: async (raw: ExecuteAgentPayload, { ctx, signal }): Promise<ExecuteAgentOutput> => {
    const parsed = executeAgentPayload.safeParse(raw);
    if (!parsed.success) {
      throw new AgentInputError(
        "INVALID_INPUT",
        `execute-agent: ${parsed.error.issues[0]?.message}`,
        parsed.error.issues,
      );
    }
    const p = parsed.data;
    const db = await crmStore();
    const workspace = await getWorkspace(db, p.workspaceId);
    const agent = await getAgent(db, p.workspaceId, p.agentId);
    let provider: AgentModelProvider | undefined;
    let providerError: unknown;
    try {
      provider = agentModelProvider();
    } catch (error) {
      providerError = error;
    }
    const modelId = agent.model ?? provider?.defaultModel ?? null;
    const execution = await startExecution(db, {
      workspaceId: p.workspaceId,
      agentId: agent.id,
      runId: ctx.run.id,
      inputs: p.inputs,
      triggeredBy: p.triggeredBy,
      model: modelId,
    });
    metadata.set("executionId", execution.id);
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    let toolCalls = 0;
    const usageByModel = () =>
      modelId && usage.totalTokens > 0
        ? {
            [modelId]: {
              inputTokens: usage.inputTokens,
              outputTokens: usage.outputTokens,
              costUsd: costUsd(modelId, usage.inputTokens, usage.outputTokens),
            },
          }
        : {};
    try {
      if (!provider) throw providerError;
      if (agent.status !== "active")
        throw new AgentInputError("AGENT_INACTIVE", `Agent "${agent.id}" is ${agent.status}`);
      const invalid = validateInputs(agent.inputSchema, p.inputs);
      if (invalid) throw new AgentInputError("INVALID_INPUT", `Agent "${agent.name}": ${invalid}`);
      // checked once, at the start: a resume after an approval does not re-check
      const budget = await step.run("token-budget", async () => {
        const limit = monthlyTokenBudget(workspace.tier);
        return { limit, used: await tokensUsedThisMonth(db, p.workspaceId) };
      });
      if (budget.used >= budget.limit) {
        throw new AgentInputError(
          "TOKEN_BUDGET_EXCEEDED",
          `Workspace "${p.workspaceId}" (${workspace.tier}) used ${budget.used} of its ${budget.limit} agent tokens this month; ` +
            "executions resume next month, or on a higher tier",
          budget,
        );
      }
      const model = provider.languageModel(modelId!);
      const tools = agentTools(agent.tools, { db, workspaceId: p.workspaceId });
      await agentOutput.append(chunk("status", `started ${agent.name} on ${modelId}`, { model: modelId! }));
      const messages: ModelMessage[] = [
        { role: "user", content: renderPrompt(agent.promptTemplate, p.inputs) },
      ];
      const approvals: ExecuteAgentOutput["approvals"] = [];
      let output = "";
      for (let turnNumber = 1; ; turnNumber += 1) {
        const remaining = budget.limit - budget.used - usage.totalTokens;
        const turn = await step.run(`llm-turn-${turnNumber}`, async () => {
          let result: Awaited<ReturnType<typeof runTurn>> | undefined;
          await agentOutput
            .writer({
              execute: async ({ write }) => {
                result = await runTurn({
                  model,
                  modelId: modelId!,
                  system: agent.systemPrompt,
                  messages,
                  tools,
                  maxSteps: agent.maxSteps,
                  maxOutputTokens: remaining < 4_096 ? Math.max(remaining, 1) : undefined,
                  emit: (c: AgentStreamChunk) => write(c),
                  signal,
                });
              },
            })
            .waitUntilComplete();
          return result!;
        });
        usage.inputTokens += turn.usage.inputTokens;
        usage.outputTokens += turn.usage.outputTokens;
        usage.totalTokens += turn.usage.totalTokens;
        toolCalls += turn.toolCalls;
        output += turn.text;
        messages.push(...turn.messages);
        if (!turn.approval || turnNumber >= 10) break;
        await setExecutionStatus(db, execution.id, "waiting_approval");
        const decision = await requestApprovalTask
          .triggerAndWait(
            {
              workspaceId: p.workspaceId,
              type: "agent-action",
              entityId: execution.id,
              title: turn.approval.title,
              description: turn.approval.description,
              requestedBy: `agent:${agent.id}`,
              timeout: p.approvalTimeout ?? "24h",
            },
            { tags: [`workspace:${p.workspaceId}`, `agent:${agent.id}`] },
          )
          .unwrap();
        await setExecutionStatus(db, execution.id, "running", decision.approvalId);
        approvals.push(decision);
        await agentOutput.append(
          chunk("approval", decision.approved ? "approved" : "rejected", {
            approvalId: decision.approvalId,
            output: { approved: decision.approved, approver: decision.approver, comment: decision.comment },
          }),
        );
        messages.push({
          role: "tool",
          content: [
            {
              type: "tool-result",
              toolCallId: turn.approval.toolCallId,
              toolName: "request_approval",
              output: {
                type: "json",
                value: {
                  approved: decision.approved,
                  approver: decision.approver,
                  comment: decision.comment,
                },
              },
            },
          ],
        });
      }
      const end = await finishExecution(db, {
        executionId: execution.id,
        agentId: agent.id,
        status: "completed",
        output,
        usageByModel: usageByModel(),
        toolCalls,
      });
      await agentOutput.append(chunk("done", output, { usage, model: modelId! }));
      return {
        executionId: execution.id,
        status: "completed",
        output,
        model: modelId!,
        usage,
        costUsd: end.execution.costUsd,
        toolCalls,
        approvals,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string }).code ?? null;
      // the run fails with the original error even if recording it fails
      await finishExecution(db, {
        executionId: execution.id,
        agentId: agent.id,
        status: "failed",
        error: message,
        errorCode: code,
        usageByModel: usageByModel(),
        toolCalls,
      }).catch((recordError) =>
        logger.error("could not record the failed execution", { error: String(recordError) }),
      );
      await agentOutput.append(chunk("error", message)).catch(() => {});
      throw error;
    }
  },
});

export const processActiveAgentsPayload = z.object({
  workspaceId: z.string().min(1).max(128).optional(),
  /** When set, every active agent (of the workspace, or of all) is executed with these inputs. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  triggeredBy: z.string().max(256).optional(),
});

/**
 * `process-active-agents`: lists the active agents (of one workspace, or all) with their stats
 * and health; with `inputs`, triggers `execute-agent` for each of them in one batch, on the
 * workspace's tier queue.
 */
export const processActiveAgentsTask = task({
  id: "process-active-agents",
  queue: systemJobsQueue,
  run: async (raw: z.input<typeof processActiveAgentsPayload>) => {
    const parsed = processActiveAgentsPayload.safeParse(raw ?? {});
    if (!parsed.success)
      throw new AgentInputError("INVALID_INPUT", `process-active-agents: ${parsed.error.issues[0]?.message}`);
    const p = parsed.data;
    const agents = await listActiveAgents(await crmStore(), p.workspaceId);
    let triggered: Array<{ agentId: string; runId: string }> = [];
    if (p.inputs && agents.length > 0) {
      const batch = await executeAgentTask.batchTrigger(
        agents.map((a) => ({
          payload: {
            agentId: a.id,
            workspaceId: a.workspaceId,
            inputs: p.inputs!,
            triggeredBy: p.triggeredBy ?? "process-active-agents",
          },
          options: buildWorkspaceQueueOptions(a.workspaceId, a.tier, "agent-execute", [`agent:${a.id}`]),
        })),
      );
      triggered = batch.runs.map((r, i) => ({ agentId: agents[i]!.id, runId: r.id }));
    }
    return {
      agents: agents.map((a) => ({
        id: a.id,
        workspaceId: a.workspaceId,
        name: a.name,
        stats: a.stats,
        health: a.health,
      })),
      triggered,
    };
  },
});

/** `scheduled-agent-health-check`: hourly; see crm/agents/health.ts for what it flags. */
export const scheduledAgentHealthCheckTask = schedules.task({
  id: "scheduled-agent-health-check",
  cron: "0 * * * *",
  queue: systemJobsQueue,
  run: async (_payload, { ctx }) => {
    const db = await crmStore();
    const resumedApprovals = await resumeDecidedApprovals(db);
    const health = await checkAgentHealth(db, { runId: ctx.run.id });
    return {
      checkedAt: health.checkedAt,
      provider: health.provider,
      resumedApprovals,
      agents: health.agents.length,
      unhealthy: health.agents.filter((a) => a.status === "unhealthy").map((a) => a.agentId),
      degraded: health.agents.filter((a) => a.status === "degraded").map((a) => a.agentId),
    };
  },
});

export { AgentError, AgentInputError };
