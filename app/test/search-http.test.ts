/**
 * Document search over HTTP (`GET /api/v1/app/workspaces/:id/search`): a token scoped to one
 * workspace finds that workspace's documents and cannot search another's.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../../packages/server/src/auth/keys.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { DEMO_DOCUMENTS } from "../src/crm/demo/corpus.js";
import { createDocuments } from "../src/crm/documents.js";
import { localProvider } from "../src/crm/embeddings/local.js";
import { indexDocument } from "../src/crm/indexing/store.js";
import { searchRoute } from "../src/crm/search/route.js";
import type { Workspace } from "../src/crm/workspaces.js";
import { openCrm, STORES, workspace } from "./helpers.js";

const pglite = STORES[0]!();

describe("document search over HTTP", () => {
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let server: RunningServer;
  let key: string;
  let a: Workspace;
  let b: Workspace;
  let tokenA: string;
  const search = (ws: string, q: string, token: string) =>
    fetch(`${server.url}/api/v1/app/workspaces/${ws}/search?q=${encodeURIComponent(q)}&limit=3`, {
      headers: { authorization: `Bearer ${token}` },
    });

  beforeAll(async () => {
    crm = await openCrm(pglite, false);
    server = await startServer({
      engine: crm.engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
      appRoutes: [searchRoute],
    });
    key = (await createKey(crm.db, { name: "test" })).key;
    a = await workspace(crm.db, "starter");
    b = await workspace(crm.db, "enterprise");
    const embedder = localProvider();
    // A holds the refund article; B holds the security article
    const refund = DEMO_DOCUMENTS.find((d) => d.title.startsWith("Refund"))!;
    const security = DEMO_DOCUMENTS.find((d) => d.title.startsWith("Security"))!;
    for (const [ws, doc] of [
      [a, refund],
      [b, security],
    ] as const) {
      const [id] = await createDocuments(crm.db, ws.id, [doc]);
      await indexDocument(crm.db, embedder, { workspaceId: ws.id, itemId: id! });
    }
    tokenA = await server.context.tokens.sign({
      sub: "t",
      scopes: [`read:tags:workspace:${a.id}`],
      expiresIn: "1h",
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await crm?.close();
  });

  it("a workspace token finds its own documents", async () => {
    const res = await search(a.id, "getting my money back after cancelling", tokenA);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { hits: Array<{ title: string }> };
    expect(body.hits[0]?.title).toMatch(/^Refund/);
  });

  it("the same token cannot search another workspace's documents", async () => {
    const res = await search(b.id, "is my data encrypted", tokenA);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "FORBIDDEN" });
  });

  it("a secret key searches any workspace; bad input gets a clear error", async () => {
    const res = await search(b.id, "is my data encrypted", key);
    expect(((await res.json()) as { hits: Array<{ title: string }> }).hits[0]?.title).toMatch(/^Security/);
    const missing = await search("ws_nope", "x", key);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "WORKSPACE_NOT_FOUND" });
    const empty = await search(a.id, "   ", key);
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: "INVALID_INPUT" });
  });
});
