import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted answer: text pieces streamed one by one, then optional tool calls, then usage. */
export interface ScriptedReply {
  tokens?: string[];
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  usage: { prompt: number; completion: number };
  /** Answer with this HTTP status and no stream (an outage). */
  status?: number;
  /** Stream the first `tokens` tokens, then hold the rest until `until` settles. */
  pauseAfter?: { tokens: number; until: Promise<void> };
}

export interface ChatRequest {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: Array<{ function: { name: string } }>;
}

/**
 * A local OpenAI-compatible server (`POST /v1/chat/completions` with `stream: true`, as Server-
 * Sent Events; `GET /v1/models`), so tests exercise the real HTTP and streaming path of the AI
 * SDK's provider. `reply(request, callIndex)` picks the answer; every request is recorded.
 */
export async function startLlmServer(
  reply: (request: ChatRequest, callIndex: number) => ScriptedReply,
  options: { tokenDelayMs?: number } = {},
): Promise<{ url: string; requests: ChatRequest[]; close(): Promise<void>; server: Server }> {
  const requests: ChatRequest[] = [];
  const delay = options.tokenDelayMs ?? 2;
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => resolve(body));
    });
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "local-model", object: "model" }] }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const request = JSON.parse(await readBody(req)) as ChatRequest;
    const index = requests.length;
    requests.push(request);
    const script = reply(request, index);
    if (script.status) {
      res.writeHead(script.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "scripted outage", type: "server_error" } }));
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const base = {
      id: `chatcmpl-${index}`,
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: request.model,
    };
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    send({
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    });
    for (const [i, token] of (script.tokens ?? []).entries()) {
      if (script.pauseAfter && i === script.pauseAfter.tokens) await script.pauseAfter.until;
      send({ ...base, choices: [{ index: 0, delta: { content: token }, finish_reason: null }] });
      await new Promise((r) => setTimeout(r, delay));
    }
    (script.toolCalls ?? []).forEach((call, i) => {
      send({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index: i,
                  id: `call_${index}_${i}`,
                  type: "function",
                  function: { name: call.name, arguments: JSON.stringify(call.arguments) },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      });
    });
    send({
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: script.toolCalls?.length ? "tool_calls" : "stop" }],
    });
    send({
      ...base,
      choices: [],
      usage: {
        prompt_tokens: script.usage.prompt,
        completion_tokens: script.usage.completion,
        total_tokens: script.usage.prompt + script.usage.completion,
      },
    });
    res.write("data: [DONE]\n\n");
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
