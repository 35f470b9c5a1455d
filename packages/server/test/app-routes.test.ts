/** App endpoints (`routes` in mainspring.config.ts) under /api/v1/app, behind the API's auth. */

import { type Engine, startEngine } from "@mainspring/engine";
import type { AppRoute } from "@mainspring/sdk";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteStore } from "../../engine/test/helpers.js";
import { createKey } from "../src/auth/keys.js";
import { type RunningServer, startServer } from "../src/server.js";

class NotFound extends Error {
  readonly code = "WORKSPACE_NOT_FOUND";
}

const routes: AppRoute[] = [
  {
    method: "GET",
    path: "/workspaces/:workspaceId/notes",
    errors: { WORKSPACE_NOT_FOUND: 404, NOT_YOURS: 403 },
    handler: ({ params, query, auth }) => {
      if (params.workspaceId === "missing") throw new NotFound(`No workspace "missing"`);
      if (!auth.can("read", "tags", `workspace:${params.workspaceId}`)) {
        throw Object.assign(new Error("This token cannot read that workspace"), { code: "NOT_YOURS" });
      }
      return { workspaceId: params.workspaceId, q: query.q ?? null, kind: auth.kind };
    },
  },
  { method: "POST", path: "/echo", aliases: ["/api/echo"], handler: ({ body }) => ({ body }) },
  {
    method: "GET",
    path: "/boom",
    handler: () => {
      throw new Error("unexpected");
    },
  },
  {
    method: "POST",
    path: "/unsubscribe/:token",
    public: true,
    errors: { BAD_LINK: 401 },
    handler: ({ params, rawBody, auth }) => {
      if (params.token !== "signed-ok") throw Object.assign(new Error("bad link"), { code: "BAD_LINK" });
      return { rawBody, kind: auth.kind };
    },
  },
];

describe("static files", () => {
  it("serves a folder at / with index.html for unknown paths, and leaves /api paths to the API", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "ms-static-"));
    writeFileSync(join(dir, "index.html"), "<h1>dashboard</h1>");
    writeFileSync(join(dir, "app.js"), "console.log(1)");
    const engine = await startEngine({ db: await pgliteStore().open(), worker: false, maintenance: false });
    const server = await startServer({
      engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      staticDir: dir,
    });
    try {
      expect(await (await fetch(`${server.url}/`)).text()).toBe("<h1>dashboard</h1>");
      expect(await (await fetch(`${server.url}/app.js`)).text()).toBe("console.log(1)");
      expect(await (await fetch(`${server.url}/runs/run_123`)).text()).toBe("<h1>dashboard</h1>");
      const api = await fetch(`${server.url}/api/v1/nothing`);
      expect(api.status).toBe(401);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
      await engine.stop();
    }
  });
});

describe("app routes", () => {
  const store = pgliteStore();
  let engine: Engine;
  let server: RunningServer;
  let key: string;
  let tokenA: string;
  const get = (path: string, token: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    engine = await startEngine({ db: await store.open(), worker: false, maintenance: false });
    server = await startServer({
      engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      appRoutes: routes,
    });
    key = (await createKey(engine.db, { name: "t" })).key;
    tokenA = await server.context.tokens.sign({
      sub: "t",
      scopes: ["read:tags:workspace:A"],
      expiresIn: "1h",
    });
  });
  afterAll(async () => {
    await server.close();
    await engine.stop();
  });

  it("serves the route to a secret key and to a token scoped to the workspace", async () => {
    expect(await (await get("/api/v1/app/workspaces/A/notes?q=hi", key)).json()).toEqual({
      workspaceId: "A",
      q: "hi",
      kind: "secret",
    });
    expect(await (await get("/api/v1/app/workspaces/A/notes", tokenA)).json()).toMatchObject({
      kind: "public",
    });
  });

  it("maps declared error codes to their status, and refuses a token of another workspace", async () => {
    const other = await get("/api/v1/app/workspaces/B/notes", tokenA);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: "NOT_YOURS" });
    const missing = await get("/api/v1/app/workspaces/missing/notes", key);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "WORKSPACE_NOT_FOUND" });
    const boom = await get("/api/v1/app/boom", key);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: "Internal server error", code: "INTERNAL" });
  });

  it("serves public routes under /app without credentials, with the raw body", async () => {
    const ok = await fetch(`${server.url}/app/unsubscribe/signed-ok`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(await ok.json()).toEqual({ rawBody: "List-Unsubscribe=One-Click", kind: "anonymous" });
    expect((await fetch(`${server.url}/app/unsubscribe/forged`, { method: "POST" })).status).toBe(401);
    // not mounted behind auth, and not under /api
    expect(
      (
        await fetch(`${server.url}/api/v1/app/unsubscribe/signed-ok`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}` },
        })
      ).status,
    ).toBe(404);
  });

  it("needs credentials and parses JSON bodies with the API's rules", async () => {
    expect((await fetch(`${server.url}/api/v1/app/echo`, { method: "POST" })).status).toBe(401);
    const echoed = await fetch(`${server.url}/api/v1/app/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await echoed.json()).toEqual({ body: { a: 1 } });
    const alias = await fetch(`${server.url}/api/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ b: 2 }),
    });
    expect(await alias.json()).toEqual({ body: { b: 2 } });
    expect((await fetch(`${server.url}/api/echo`, { method: "POST" })).status).toBe(401);
    const bad = await fetch(`${server.url}/api/v1/app/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
  });
});
