import type { RealtimeDefinedStream } from "@mainspring/sdk";
import { agentOutput } from "../crm/agents/stream.js";
import { batchProgress } from "../crm/progress.js";

/** A defined stream plus the seed's `write(runId, chunk)`: an append to that run's stream. */
export type SeedStream<T> = RealtimeDefinedStream<T> & { write(runId: string, chunk: T): Promise<void> };

function withWrite<T>(stream: RealtimeDefinedStream<T>): SeedStream<T> {
  return { ...stream, write: (runId, chunk) => stream.append(chunk, { target: runId }) };
}

/**
 * The seed's realtime streams. Part 1 writes `batchProgressStream` (stream id
 * "batch-progress"): bulk scoring and bulk indexing append one chunk per step. Part 3 writes
 * `agentOutputStream` ("default", as the seed's React code reads it): an agent's tokens, tool calls, approvals and usage.
 * The campaign part adds `campaignProgressStream` here.
 *
 * @example
 * for await (const p of await batchProgressStream.read(runId)) console.log(`${p.done}/${p.total}`);
 * await agentOutputStream.write(runId, { type: "token", content: "Hi", timestamp: new Date().toISOString() });
 */
export const batchProgressStream = withWrite(batchProgress);
export const agentOutputStream = withWrite(agentOutput);
export type { AgentStreamChunk } from "../crm/agents/llm.js";
export type { BatchProgress } from "../crm/progress.js";
