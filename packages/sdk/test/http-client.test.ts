import { describe, expect, it } from "vitest";
import { MainspringError } from "../src/errors.js";
import { HttpClient, MainspringApiError } from "../src/remote/http-client.js";

type Answer = Response | Error;

/** A fetch that answers from a script and records the requests. */
function scripted(answers: Answer[]) {
  const calls: Array<{ url: string; init?: RequestInit }> = [];
  const fetchFn: typeof fetch = async (input, init) => {
    calls.push({ url: String(input), init });
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, fetchFn };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("HttpClient", () => {
  it("sends the key, JSON bodies and query parameters; drops undefined ones", async () => {
    const { calls, fetchFn } = scripted([json(200, { ok: true })]);
    const client = new HttpClient({
      baseURL: "http://api.test/",
      accessToken: "tr_dev_sk_1",
      fetch: fetchFn,
    });
    const { data } = await client.request("POST", "/api/x", {
      json: { a: 1 },
      query: { "filter[tag]": "a,b", "page[size]": 2, skip: undefined },
    });
    expect(data).toEqual({ ok: true });
    expect(calls[0]!.url).toBe("http://api.test/api/x?filter%5Btag%5D=a%2Cb&page%5Bsize%5D=2");
    const headers = calls[0]!.init!.headers as Record<string, string>;
    expect(headers.authorization).toBe("Bearer tr_dev_sk_1");
    expect(headers["content-type"]).toBe("application/json");
    expect(calls[0]!.init!.body).toBe('{"a":1}');
  });

  it("maps the server's { error, code } body and status to MainspringApiError", async () => {
    const { fetchFn } = scripted([
      json(404, { error: 'Task "x" is not defined', code: "TASK_NOT_FOUND" }, { "x-request-id": "req_1" }),
    ]);
    const client = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: fetchFn });
    const error = await client.request("POST", "/api/v1/tasks/x/trigger").catch((e) => e);
    expect(error).toBeInstanceOf(MainspringError);
    expect(error).toBeInstanceOf(MainspringApiError);
    expect(error).toMatchObject({
      code: "TASK_NOT_FOUND",
      status: 404,
      message: 'Task "x" is not defined',
      requestId: "req_1",
    });
  });

  it("names a code from the status when the body is not the server's (a proxy's HTML page)", async () => {
    const { fetchFn } = scripted([new Response("<html>Bad gateway</html>", { status: 502 })]);
    const client = new HttpClient({
      baseURL: "http://api.test",
      accessToken: "k",
      fetch: fetchFn,
      maxRetries: 0,
    });
    const error = await client.request("GET", "/api/v3/runs/r").catch((e) => e);
    expect(error).toMatchObject({ code: "SERVER_ERROR", status: 502 });
    expect(error.message).toContain("HTTP 502");
  });

  it("retries 429 and 503 (honouring Retry-After), but not when x-should-retry is false", async () => {
    const { calls, fetchFn } = scripted([
      json(429, { error: "slow down", code: "RATE_LIMITED" }, { "retry-after": "0" }),
      json(503, { error: "locked", code: "STORE_LOCKED" }, { "retry-after": "0" }),
      json(200, { id: "run_1" }),
    ]);
    const client = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: fetchFn });
    expect((await client.request("POST", "/api/v1/tasks/t/trigger", { json: {} })).data).toEqual({
      id: "run_1",
    });
    expect(calls).toHaveLength(3);

    const refused = scripted([json(503, { error: "no", code: "X" }, { "x-should-retry": "false" })]);
    const strict = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: refused.fetchFn });
    await expect(strict.request("GET", "/x")).rejects.toMatchObject({ code: "X", status: 503 });
    expect(refused.calls).toHaveLength(1);
  });

  it("resends a GET that got no answer, never a POST", async () => {
    const get = scripted([new TypeError("fetch failed"), json(200, { ok: 1 })]);
    const client = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: get.fetchFn });
    expect((await client.request("GET", "/x")).data).toEqual({ ok: 1 });
    expect(get.calls).toHaveLength(2);

    const post = scripted([new TypeError("fetch failed"), json(200, { ok: 1 })]);
    const poster = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: post.fetchFn });
    await expect(poster.request("POST", "/x", { json: {} })).rejects.toMatchObject({
      code: "API_UNREACHABLE",
      status: 0,
    });
    expect(post.calls).toHaveLength(1);
  });

  it("refuses an answer that is not JSON", async () => {
    const { fetchFn } = scripted([new Response("not json", { status: 200 })]);
    const client = new HttpClient({ baseURL: "http://api.test", accessToken: "k", fetch: fetchFn });
    await expect(client.request("GET", "/x")).rejects.toMatchObject({ code: "INVALID_RESPONSE" });
  });
});
