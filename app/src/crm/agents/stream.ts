import { streams } from "@mainspring/sdk";
import type { AgentStreamChunk } from "./llm.js";

/**
 * Defined here (not in trigger/streams.ts, which re-exports it) so crm/ does not import trigger/.
 * Its id is "default": the seed's React code reads it without naming a stream,
 * `useRealtimeStream<AgentStreamChunk>(runId, { accessToken })`, which reads the default stream.
 */
export const agentOutput = streams.define<AgentStreamChunk>({ id: "default" });
