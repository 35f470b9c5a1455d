/**
 * The page of the agent browser test: the seed's React usage, verbatim in spirit,
 * `useRealtimeStream<AgentStreamChunk>(runId, { accessToken })`, showing an agent's tokens as
 * they arrive, its tool calls and its usage. Configuration comes in the `config` query parameter.
 */
import { useRealtimeStream } from "@mainspring/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

export interface AgentPageConfig {
  baseURL: string;
  runId: string;
  accessToken: string;
}

/** The chunk shape of app/src/crm/agents/llm.ts (browser code does not import the task's module). */
interface AgentStreamChunk {
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
  usage?: { totalTokens: number };
}

const config = JSON.parse(new URLSearchParams(location.search).get("config") ?? "{}") as AgentPageConfig;

function AgentOutput({ runId, accessToken }: { runId: string; accessToken: string }) {
  const { data, error } = useRealtimeStream<AgentStreamChunk>(runId, {
    accessToken,
    baseURL: config.baseURL,
    throttleInMs: 0,
  });
  const tokens = data.filter((c) => c.type === "token");
  const tools = data.filter((c) => c.type === "tool-call").map((c) => c.toolName);
  const usage = data.find((c) => c.type === "usage")?.usage;
  const done = data.some((c) => c.type === "done");
  return (
    <section>
      <p id="tokens">{tokens.map((c) => c.content).join("")}</p>
      <p className="meta">
        <span id="token-count">{tokens.length}</span> tokens · tools:{" "}
        <span id="tools">{tools.join(",")}</span> · usage:{" "}
        <span id="usage">{usage ? usage.totalTokens : ""}</span> ·{" "}
        <span id="done">{done ? "done" : "streaming"}</span>
      </p>
      <p id="error">{error ? error.message : ""}</p>
    </section>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AgentOutput runId={config.runId} accessToken={config.accessToken} />
  </StrictMode>,
);
