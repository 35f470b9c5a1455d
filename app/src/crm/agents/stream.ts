import { streams } from "@mainspring/sdk";
import type { AgentStreamChunk } from "./llm.js";

/** Defined here (not in trigger/streams.ts, which re-exports it) so crm/ does not import trigger/. */
export const agentOutput = streams.define<AgentStreamChunk>({ id: "agent-output" });
