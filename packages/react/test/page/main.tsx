/**
 * The page the browser test drives: one panel per hook, each showing what the hook returns in
 * elements with ids the test reads. Its configuration (server URL, run ids, tokens) comes in
 * the `config` query parameter.
 */
import {
  ApiError,
  defineStream,
  MainspringProvider,
  useRealtimeBatch,
  useRealtimeRun,
  useRealtimeRunsWithTag,
  useRealtimeStream,
  useRealtimeTaskTrigger,
  useTaskTrigger,
  useWaitToken,
} from "@mainspring/react";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

export interface PageConfig {
  baseURL: string;
  /** The same server behind a proxy that cuts the first stream connection. */
  proxyURL: string;
  runId: string;
  readToken: string;
  tokenId: string;
  waitToken: string;
  triggerToken: string;
  batchId: string;
  batchToken: string;
  otherToken: string;
}

interface AgentStreamChunk {
  type: "token";
  content: string;
  timestamp: string;
}

const textStream = defineStream<string>("text");

const config = JSON.parse(new URLSearchParams(location.search).get("config") ?? "{}") as PageConfig;

const describeError = (error: Error | undefined) =>
  error === undefined
    ? ""
    : error instanceof ApiError
      ? `${error.status} ${error.code}: ${error.message}`
      : error.message;

/** useRealtimeRun through the provider's token: status history, metadata, output, revived dates. */
function RunPanel() {
  const [history, setHistory] = useState<string[]>([]);
  const [completed, setCompleted] = useState("");
  const { run, error } = useRealtimeRun(config.runId, {
    onComplete: (r, err) => setCompleted(`${r.status}${err ? ` ${err.message}` : ""}`),
  });
  useEffect(() => {
    if (run) setHistory((h) => (h.at(-1) === run.status ? h : [...h, run.status]));
  }, [run]);
  return (
    <section>
      <p id="status">{run?.status ?? "loading"}</p>
      <p id="history">{history.join(">")}</p>
      <p id="progress">{run ? String(run.metadata.progress) : ""}</p>
      <p id="output">{run?.output === undefined ? "" : JSON.stringify(run.output)}</p>
      <p id="dates">{run ? String(run.createdAt instanceof Date && run.updatedAt instanceof Date) : ""}</p>
      <p id="on-complete">{completed}</p>
      <p id="run-error">{describeError(error)}</p>
    </section>
  );
}

/** The three forms of useRealtimeStream, and one through the connection-cutting proxy. */
function StreamPanel() {
  const byId = useRealtimeStream<string>(config.runId, "text");
  const defined = useRealtimeStream(textStream, config.runId, { throttleInMs: 50 });
  // the seed app's form: the default stream, typed, read as `data`
  const { data } = useRealtimeStream<AgentStreamChunk>(config.runId, { accessToken: config.readToken });
  const proxied = useRealtimeStream<string>(config.runId, "text", {
    accessToken: config.readToken,
    baseURL: config.proxyURL,
  });
  return (
    <section>
      <p id="text">{byId.parts.join("")}</p>
      <p id="defined">{defined.parts.join("")}</p>
      <p id="default">{data.map((c) => c.content).join("")}</p>
      <p id="default-types">{[...new Set(data.map((c) => c.type))].join(",")}</p>
      <p id="proxied">{proxied.parts.join("")}</p>
      <p id="proxied-count">{proxied.parts.length}</p>
      <p id="stream-error">{describeError(byId.error ?? defined.error ?? proxied.error)}</p>
    </section>
  );
}

function ApprovePanel() {
  const { complete, isLoading, isCompleted, error } = useWaitToken<{ approved: boolean }>(config.tokenId, {
    accessToken: config.waitToken,
    baseURL: config.baseURL,
  });
  return (
    <section>
      <button id="approve" type="button" disabled={isLoading} onClick={() => complete({ approved: true })}>
        Approve
      </button>
      <p id="approved">{String(isCompleted)}</p>
      <p id="approve-error">{describeError(error)}</p>
    </section>
  );
}

function TriggerPanel() {
  const { submit, handle, isLoading, error } = useTaskTrigger("browser-echo", {
    accessToken: config.triggerToken,
    baseURL: config.baseURL,
  });
  const { run } = useRealtimeRun(handle?.id, {
    accessToken: handle?.publicAccessToken,
    baseURL: config.baseURL,
    enabled: handle !== undefined,
  });
  // the same trigger token also works through useRealtimeTaskTrigger
  const both = useRealtimeTaskTrigger("browser-echo", {
    accessToken: config.triggerToken,
    baseURL: config.baseURL,
  });
  return (
    <section>
      <button id="trigger" type="button" disabled={isLoading} onClick={() => submit({ name: "Ada" })}>
        Trigger
      </button>
      <p id="handle">
        {handle ? `${handle.id} ${handle.publicAccessToken ? "with-token" : "no-token"}` : ""}
      </p>
      <p id="trigger-status">{run?.status ?? ""}</p>
      <p id="trigger-output">{run?.output === undefined ? "" : JSON.stringify(run.output)}</p>
      <p id="trigger-error">{describeError(error)}</p>
      <button id="trigger-rt" type="button" onClick={() => both.submit({ name: "Grace" })}>
        Trigger and follow
      </button>
      <p id="trigger-rt-output">{both.run?.output === undefined ? "" : JSON.stringify(both.run.output)}</p>
    </section>
  );
}

function ListsPanel() {
  const tagged = useRealtimeRunsWithTag("ws:A");
  const batch = useRealtimeBatch(config.batchId, { accessToken: config.batchToken });
  return (
    <section>
      <p id="tagged">{tagged.runs.map((r) => `${r.id}=${r.status}`).join(",")}</p>
      <p id="batch">{batch.runs.map((r) => r.status).join(",")}</p>
      <p id="batch-outputs">{batch.runs.map((r) => JSON.stringify(r.output ?? null)).join(",")}</p>
      <p id="lists-error">{describeError(tagged.error ?? batch.error)}</p>
    </section>
  );
}

/** A token for workspace B reads nothing of workspace A. */
function ForbiddenPanel() {
  const options = { accessToken: config.otherToken, baseURL: config.baseURL };
  const run = useRealtimeRun(config.runId, options);
  const stream = useRealtimeStream<string>(config.runId, "text", options);
  const tagged = useRealtimeRunsWithTag("ws:A", options);
  return (
    <section>
      <p id="forbidden-run">{describeError(run.error)}</p>
      <p id="forbidden-stream">{describeError(stream.error)}</p>
      <p id="forbidden-tag">{describeError(tagged.error)}</p>
      <p id="forbidden-leak">
        {run.run?.status ?? ""}
        {stream.parts.join("")}
        {tagged.runs.length || ""}
      </p>
    </section>
  );
}

function App() {
  return (
    <MainspringProvider accessToken={config.readToken} baseURL={config.baseURL}>
      <RunPanel />
      <StreamPanel />
      <ApprovePanel />
      <TriggerPanel />
      <ListsPanel />
      <ForbiddenPanel />
    </MainspringProvider>
  );
}

const root = document.getElementById("root");
// StrictMode mounts every effect twice: subscriptions must survive being opened and closed at once.
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
