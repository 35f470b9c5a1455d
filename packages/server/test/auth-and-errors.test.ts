/**
 * The HTTP edge over raw fetch: who may read what (a token for workspace A never sees
 * workspace B), and bad input answered with the right status and a stable `code`.
 */
import { task } from "@mainspring/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../engine/test/helpers.js";
import { type Harness, STORES, startHarness } from "./harness.js";

task({ id: "edge-echo", run: async (payload: unknown) => payload });

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`HTTP auth and errors (${store.name})`, () => {
    let h: Harness;
    let runA: string;
    let runB: string;
    let batchB: string;
    let tokenA: string;

    const call = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${h.server.url}${path}`, {
        ...init,
        headers: {
          ...(init.token === undefined
            ? { authorization: `Bearer ${h.key}` }
            : init.token
              ? { authorization: `Bearer ${init.token}` }
              : {}),
          ...(init.body ? { "content-type": "application/json" } : {}),
          ...(init.headers as Record<string, string>),
        },
      });

    const trigger = async (tags: string[]) => {
      const res = await call("/api/v1/tasks/edge-echo/trigger", {
        method: "POST",
        body: JSON.stringify({
          payload: JSON.stringify({ tags }),
          options: { tags, payloadType: "application/json" },
        }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    };

    beforeAll(async () => {
      h = await startHarness(store);
      runA = await trigger(["workspace:A"]);
      runB = await trigger(["workspace:B"]);
      const batch = await call("/api/v3/batches", {
        method: "POST",
        body: JSON.stringify({ runCount: 1, taskIdentifiers: ["edge-echo"] }),
      });
      batchB = ((await batch.json()) as { id: string }).id;
      const items = await fetch(`${h.server.url}/api/v3/batches/${batchB}/items`, {
        method: "POST",
        headers: { authorization: `Bearer ${h.key}`, "content-type": "application/x-ndjson" },
        body: `${JSON.stringify({ index: 0, task: "edge-echo", payload: "{}", options: { tags: ["workspace:B"], payloadType: "application/json" } })}\n`,
      });
      expect(await items.json()).toMatchObject({ sealed: true, itemsAccepted: 1 });
      const minted = await call("/api/v1/auth/public-tokens", {
        method: "POST",
        body: JSON.stringify({ scopes: ["read:tags:workspace:A"], expirationTime: "1h" }),
      });
      tokenA = ((await minted.json()) as { token: string }).token;
      await waitFor(async () => (await h.engine.retrieveRun(runB)).isCompleted, { what: "run B to finish" });
    });
    afterAll(() => h?.close());

    it("lets a workspace-A token read workspace A", async () => {
      expect((await call(`/api/v3/runs/${runA}`, { token: tokenA })).status).toBe(200);
      expect((await call("/api/v1/runs?filter[tag]=workspace:A", { token: tokenA })).status).toBe(200);
    });

    it("refuses a workspace-A token on every read and stream endpoint of workspace B", async () => {
      const endpoints = [
        `/api/v3/runs/${runB}`,
        `/api/v1/runs/${runB}/metadata`,
        "/api/v1/runs?filter[tag]=workspace:B",
        "/api/v1/runs",
        `/api/v2/batches/${batchB}`,
        `/api/v1/realtime/runs/${runB}`,
        "/api/v1/realtime/runs?tags=workspace:B",
        `/api/v1/realtime/batches/${batchB}`,
        `/api/v1/realtime/streams/${runB}/default`,
      ];
      for (const path of endpoints) {
        const res = await call(path, { token: tokenA });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(((await res.json()) as { code: string }).code).toBe("FORBIDDEN");
      }
    });

    it("refuses a public token on writes that need a secret key", async () => {
      const writes: Array<[string, string]> = [
        ["POST", `/api/v2/runs/${runA}/cancel`],
        ["POST", `/api/v1/runs/${runA}/replay`],
        ["POST", `/api/v1/runs/${runA}/tags`],
        ["PUT", `/api/v1/runs/${runA}/metadata`],
        ["POST", "/api/v1/tasks/edge-echo/trigger"],
        ["POST", "/api/v1/waitpoints/tokens"],
        ["GET", "/api/v1/schedules"],
        ["POST", "/api/v1/auth/public-tokens"],
      ];
      for (const [method, path] of writes) {
        const res = await call(path, { method, token: tokenA, body: method === "GET" ? undefined : "{}" });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
      }
    });

    it("answers missing, unknown, expired and forged credentials with 401", async () => {
      expect((await call(`/api/v3/runs/${runA}`, { token: "" })).status).toBe(401);
      const unknownKey = await call(`/api/v3/runs/${runA}`, { token: "tr_dev_sk_000000000000000000000000" });
      expect(unknownKey.status).toBe(401);
      expect(((await unknownKey.json()) as { code: string }).code).toBe("INVALID_API_KEY");
      const forged = `${tokenA.slice(0, -4)}AAAA`;
      const bad = await call(`/api/v3/runs/${runA}`, { token: forged });
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { code: string }).code).toBe("INVALID_TOKEN");
      const expired = await h.server.context.tokens.sign({
        sub: "x",
        scopes: ["read:runs"],
        expiresIn: Math.floor(Date.now() / 1000) - 10,
      });
      const old = await call(`/api/v3/runs/${runA}`, { token: expired });
      expect(((await old.json()) as { code: string }).code).toBe("TOKEN_EXPIRED");
    });

    it("answers bad input with the right status and a stable code", async () => {
      const cases: Array<{ what: string; res: Promise<Response>; status: number; code: string }> = [
        {
          what: "malformed JSON",
          res: call("/api/v1/tasks/edge-echo/trigger", { method: "POST", body: "{not json" }),
          status: 400,
          code: "INVALID_JSON",
        },
        {
          what: "wrong content type",
          res: call("/api/v1/tasks/edge-echo/trigger", {
            method: "POST",
            body: "payload=1",
            headers: { "content-type": "text/plain" },
          }),
          status: 415,
          code: "UNSUPPORTED_MEDIA_TYPE",
        },
        {
          what: "oversized payload",
          res: call("/api/v1/tasks/edge-echo/trigger", {
            method: "POST",
            body: JSON.stringify({ payload: JSON.stringify({ blob: "x".repeat(3 * 1024 * 1024) }) }),
          }),
          status: 413,
          code: "PAYLOAD_TOO_LARGE",
        },
        {
          what: "unknown task",
          res: call("/api/v1/tasks/nope/trigger", { method: "POST", body: "{}" }),
          status: 404,
          code: "TASK_NOT_FOUND",
        },
        {
          what: "bad options",
          res: call("/api/v1/tasks/edge-echo/trigger", {
            method: "POST",
            body: JSON.stringify({ options: { delay: "someday" } }),
          }),
          status: 400,
          code: "INVALID_DURATION",
        },
        {
          what: "schema mismatch",
          res: call(`/api/v1/runs/${runA}/tags`, { method: "POST", body: JSON.stringify({ tags: 42 }) }),
          status: 400,
          code: "INVALID_REQUEST",
        },
        {
          what: "batch over 1,000 items",
          res: call("/api/v3/batches", { method: "POST", body: JSON.stringify({ runCount: 1001 }) }),
          status: 400,
          code: "BATCH_TOO_LARGE",
        },
        { what: "unknown route", res: call("/api/v1/nothing-here"), status: 404, code: "NOT_FOUND" },
      ];
      for (const c of cases) {
        const res = await c.res;
        const body = (await res.json()) as { error: string; code: string };
        expect({ what: c.what, status: res.status, code: body.code }).toEqual({
          what: c.what,
          status: c.status,
          code: c.code,
        });
        expect(body.error.length).toBeGreaterThan(10);
      }
      // nothing was written by the refused triggers
      const page = await h.engine.listRuns({ taskIdentifier: "edge-echo" });
      expect(page.data).toHaveLength(3);
    });

    it("completes a token through its signed callback URL and refuses a forged one", async () => {
      const res = await call("/api/v1/waitpoints/tokens", {
        method: "POST",
        body: JSON.stringify({ timeout: "1h" }),
      });
      const token = (await res.json()) as { id: string; url: string };
      const forged = token.url.replace(/\/callback\/.+$/, "/callback/AAAA");
      const refused = await fetch(forged, { method: "POST", body: "{}" });
      expect(refused.status).toBe(401);
      expect((await h.engine.retrieveToken(token.id)).status).toBe("WAITING");
      const done = await fetch(token.url, { method: "POST", body: JSON.stringify({ approved: true }) });
      expect(done.status).toBe(200);
      const info = await h.engine.retrieveToken(token.id);
      expect(info).toMatchObject({ status: "COMPLETED", output: { approved: true } });
    });

    it("accepts callback URLs of tokens made by a process without the API (a worker)", async () => {
      const { startEngine } = await import("@mainspring/engine");
      const worker = await startEngine({
        db: h.engine.db,
        worker: false,
        maintenance: false,
        registerRuntime: false,
      });
      try {
        const token = await worker.createToken({});
        const url = new URL(token.url);
        expect(url.pathname).toMatch(/\/callback\/[\w-]{20,}$/);
        const res = await fetch(`${h.server.url}${url.pathname}`, { method: "POST", body: '"ok"' });
        expect(res.status).toBe(200);
        expect((await h.engine.retrieveToken(token.id)).status).toBe("COMPLETED");
      } finally {
        await worker.stop();
      }
    });

    it("refuses tokens of revoked keys, overlong lifetimes, and scopes that only look like admin", async () => {
      const { createKey, revokeKey } = await import("../src/auth/keys.js");
      const other = await createKey(h.engine.db, { name: "soon revoked" });
      const mint = (key: string, body: unknown) =>
        fetch(`${h.server.url}/api/v1/auth/public-tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const { token } = (await (await mint(other.key, { scopes: ["read:runs"] })).json()) as {
        token: string;
      };
      await revokeKey(h.engine.db, other.record.id);
      const revoked = await call(`/api/v3/runs/${runA}`, { token });
      expect(revoked.status).toBe(401);
      expect(((await revoked.json()) as { code: string }).code).toBe("TOKEN_REVOKED");
      expect((await mint(h.key, { scopes: ["read:runs"], expirationTime: "10y" })).status).toBe(400);
      const fake = await h.server.context.tokens.sign({
        sub: (await h.server.context.keys.verify(h.key))!.id,
        scopes: ["admin:nothing"],
      });
      expect((await call(`/api/v3/runs/${runA}`, { token: fake })).status).toBe(403);
    });

    it("keeps a public caller's idempotency keys, tags and queue options to itself", async () => {
      const key = `order-${store.name}`;
      const mine = await call("/api/v1/tasks/edge-echo/trigger", {
        method: "POST",
        body: JSON.stringify({
          payload: "1",
          options: { payloadType: "application/json", idempotencyKey: key },
        }),
      });
      const secretRun = ((await mine.json()) as { id: string }).id;
      const triggerToken = await h.server.context.tokens.sign({
        sub: (await h.server.context.keys.verify(h.key))!.id,
        scopes: ["trigger:tasks:edge-echo", "read:tags:workspace:A"],
      });
      const theirs = await call("/api/v1/tasks/edge-echo/trigger", {
        method: "POST",
        token: triggerToken,
        body: JSON.stringify({
          payload: "2",
          options: { payloadType: "application/json", idempotencyKey: key },
        }),
      });
      const body = (await theirs.json()) as { id: string; isCached: boolean };
      expect(body.id).not.toBe(secretRun);
      expect(body.isCached).toBe(false);
      for (const options of [
        { tags: ["workspace:B"] },
        { queue: { name: "other" } },
        { concurrencyKey: "x" },
        { priority: 100 },
      ]) {
        const res = await call("/api/v1/tasks/edge-echo/trigger", {
          method: "POST",
          token: triggerToken,
          body: JSON.stringify({ payload: "3", options: { payloadType: "application/json", ...options } }),
        });
        expect({ options, status: res.status }).toEqual({ options, status: 403 });
      }
      const tagged = await call("/api/v1/tasks/edge-echo/trigger", {
        method: "POST",
        token: triggerToken,
        body: JSON.stringify({
          payload: "4",
          options: { payloadType: "application/json", tags: ["workspace:A"] },
        }),
      });
      expect(tagged.status).toBe(200);
    });

    it("refuses oversized subscriptions, keys in URLs, bad stream ids and unstorable values", async () => {
      const many = Array.from({ length: 11 }, (_, i) => `t${i}`).join(",");
      expect((await call(`/api/v1/realtime/runs?tags=${many}`)).status).toBe(400);
      expect((await call(`/api/v1/realtime/runs/${runA}?token=${h.key}`, { token: "" })).status).toBe(400);
      expect((await call(`/api/v3/runs/${runA}?token=${tokenA}`, { token: "" })).status).toBe(401);
      expect((await call(`/api/v1/realtime/streams/${runA}/bad%20id`)).status).toBe(400);
      expect((await call("/api/v3/runs/run%00x")).status).toBe(400);
      expect((await call("/api/v1/runs?filter[createdAt][from]=8640000000000000")).status).toBe(400);
    });

    it("serves health, request ids and Prometheus metrics", async () => {
      const health = await fetch(`${h.server.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true, store: store.name });
      expect(health.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
      const echoed = await call("/api/v1/runs", { headers: { "x-request-id": "req-123" } });
      expect(echoed.headers.get("x-request-id")).toBe("req-123");
      const text = await (await fetch(`${h.server.url}/metrics`)).text();
      expect(text).toMatch(/mainspring_runs\{status="COMPLETED"\} [1-9]/);
      expect(text).toMatch(/mainspring_queue_running\{queue="task\/edge-echo"\} \d+/);
      expect(text).toMatch(/mainspring_start_latency_seconds_count\{queue="task\/edge-echo"\} [1-9]/);
      expect(text).toMatch(/mainspring_claim_duration_seconds_count [1-9]/);
      expect(text).toMatch(
        /mainspring_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/runs",status="200"\} [1-9]/,
      );
    });

    it("limits requests per key with 429 and Retry-After", async () => {
      const limited = await startHarnessWithLimit(store.name);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const res = await fetch(`${limited.server.url}/api/v1/runs`, {
            headers: { authorization: `Bearer ${limited.key}` },
          });
          statuses.push(res.status);
          if (res.status === 429) {
            expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
            expect(((await res.json()) as { code: string }).code).toBe("RATE_LIMITED");
          }
        }
        expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      } finally {
        await limited.close();
      }
    });
  });
}

async function startHarnessWithLimit(storeName: string): Promise<Harness> {
  const makeStore = STORES.find((m) => m().name === storeName)!;
  return startHarness(makeStore(), { requestsPerMinute: 5 });
}
