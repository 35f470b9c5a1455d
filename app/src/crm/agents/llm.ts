import { type LanguageModel, type ModelMessage, stepCountIs, streamText, type ToolSet, tool } from "ai";
import { z } from "zod";
import type { CrmDb } from "../../db/store.js";
import { searchDocuments } from "../search/search.js";
import { AgentError } from "./errors.js";
import type { AgentToolName } from "./store.js";

/**
 * One chunk of `agentOutputStream`: the seed's `{ type, content, timestamp }`, with the
 * tool and usage details on the chunks that carry them.
 */
export interface AgentStreamChunk {
  type:
    | "status"
    | "token"
    | "tool-call"
    | "tool-result"
    | "tool-error"
    | "approval"
    | "usage"
    | "error"
    | "done";
  content: string;
  timestamp: string;
  toolName?: string;
  toolCallId?: string;
  input?: unknown;
  output?: unknown;
  usage?: { inputTokens: number; outputTokens: number; totalTokens: number };
  model?: string;
  approvalId?: string;
}

export function chunk(
  type: AgentStreamChunk["type"],
  content: string,
  extra: Partial<AgentStreamChunk> = {},
): AgentStreamChunk {
  return { type, content, timestamp: new Date().toISOString(), ...extra };
}

/** The tools an agent may enable. `request_approval` has no `execute`: the executor handles it durably. */
export function agentTools(names: AgentToolName[], ctx: { db: CrmDb; workspaceId: string }): ToolSet {
  const tools: ToolSet = {};
  if (names.includes("search_knowledge_base")) {
    tools.search_knowledge_base = tool({
      description:
        "Search the workspace's knowledge base (product docs, policies) and return the best passages.",
      inputSchema: z.object({
        query: z.string().min(1).describe("What to look for"),
        limit: z.number().int().min(1).max(10).optional(),
      }),
      execute: async ({ query, limit }) => {
        const result = await searchDocuments(
          { workspaceId: ctx.workspaceId, query, limit: limit ?? 3 },
          { db: ctx.db },
        );
        return result.hits.map((h) => ({ title: h.title, heading: h.heading, snippet: h.snippet }));
      },
    });
  }
  if (names.includes("lookup_prospect")) {
    tools.lookup_prospect = tool({
      description:
        "Look up prospects of the workspace by email, name or company; returns their stage, score and contact data.",
      inputSchema: z.object({ query: z.string().min(1).describe("An email address, a name or a company") }),
      execute: async ({ query }) => {
        const { rows } = await ctx.db.query(
          `select id, first_name as "firstName", last_name as "lastName", email, company, job_title as "jobTitle",
             stage, score, estimated_value::float8 as "estimatedValue", last_activity_at as "lastActivityAt"
           from crm_prospects where workspace_id = $1 and (lower(email) = lower($2)
             or (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ilike '%' || $2 || '%'
             or company ilike '%' || $2 || '%')
           order by score desc nulls last, id limit 5`,
          [ctx.workspaceId, query],
        );
        return { prospects: rows };
      },
    });
  }
  if (names.includes("request_approval")) {
    tools.request_approval = tool({
      description:
        "Ask a human in the workspace to approve an action before you take it. You get back whether it was approved, by whom, and their comment.",
      inputSchema: z.object({
        title: z.string().min(1).max(500),
        description: z.string().max(5_000).optional(),
      }),
    });
  }
  return tools;
}

export interface TurnResult {
  /** Text generated in this turn (all its steps). */
  text: string;
  /** The turn's messages (assistant and tool), to continue the conversation in the next turn. */
  messages: ModelMessage[];
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  toolCalls: number;
  /** The model asked for approval: the executor waits for it, then continues. */
  approval?: { toolCallId: string; title: string; description?: string };
  finishReason: string;
}

/**
 * One call of the model (with up to `maxSteps` tool round trips): streams tokens and tool
 * events to `emit` as they arrive and returns what the next turn needs. Stops early when the
 * model calls `request_approval`, which has no execute function.
 */
export async function runTurn(options: {
  model: LanguageModel;
  modelId: string;
  system: string;
  messages: ModelMessage[];
  tools: ToolSet;
  maxSteps: number;
  maxOutputTokens?: number;
  emit: (c: AgentStreamChunk) => void;
  signal?: AbortSignal;
}): Promise<TurnResult> {
  const { emit } = options;
  let streamError: unknown;
  const result = streamText({
    model: options.model,
    system: options.system || undefined,
    messages: options.messages,
    tools: Object.keys(options.tools).length > 0 ? options.tools : undefined,
    stopWhen: stepCountIs(options.maxSteps),
    maxOutputTokens: options.maxOutputTokens,
    maxRetries: 1,
    abortSignal: options.signal,
    onError: ({ error }) => {
      streamError = error;
    },
  });
  let text = "";
  let toolCalls = 0;
  let approval: TurnResult["approval"];
  for await (const part of result.fullStream) {
    switch (part.type) {
      case "text-delta":
        if (part.text) {
          text += part.text;
          emit(chunk("token", part.text));
        }
        break;
      case "tool-call":
        toolCalls += 1;
        emit(
          chunk("tool-call", part.toolName, {
            toolName: part.toolName,
            toolCallId: part.toolCallId,
            input: part.input,
          }),
        );
        if (part.toolName === "request_approval") {
          const input = part.input as { title: string; description?: string };
          approval = { toolCallId: part.toolCallId, title: input.title, description: input.description };
        }
        break;
      case "tool-result":
        emit(
          chunk("tool-result", part.toolName, {
            toolName: part.toolName,
            toolCallId: part.toolCallId,
            output: part.output,
          }),
        );
        break;
      case "tool-error":
        emit(
          chunk(
            "tool-error",
            `${part.toolName}: ${part.error instanceof Error ? part.error.message : String(part.error)}`,
            {
              toolName: part.toolName,
              toolCallId: part.toolCallId,
            },
          ),
        );
        break;
      case "error":
        streamError = part.error;
        break;
      default:
        break;
    }
  }
  if (streamError) {
    const message = streamError instanceof Error ? streamError.message : String(streamError);
    throw new AgentError("AI_PROVIDER_FAILED", `The model call failed (${options.modelId}): ${message}`);
  }
  const [response, usage, finishReason] = await Promise.all([
    result.response,
    result.totalUsage,
    result.finishReason,
  ]);
  const u = {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    totalTokens: usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0),
  };
  emit(chunk("usage", `${u.totalTokens} tokens`, { usage: u, model: options.modelId }));
  // JSON round trip: the turn is recorded in the run's journal
  const messages = JSON.parse(JSON.stringify(response.messages)) as ModelMessage[];
  return { text, messages, usage: u, toolCalls, approval, finishReason };
}
