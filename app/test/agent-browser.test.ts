/**
 * Issue 7's browser acceptance: a small page using `@mainspring/react`'s `useRealtimeStream`
 * (the seed's `useRealtimeStream<AgentStreamChunk>(runId, { accessToken })`) shows an agent's
 * tokens as the model generates them. The model is a local OpenAI-compatible server that holds
 * the rest of its answer after two tokens: the page shows those two while the run is still
 * generating (screenshot in test-results/agent-stream-partial.png), then the whole answer.
 * Headless Chromium (/usr/bin/chromium or CHROMIUM_PATH) and Vite, as packages/react's test.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { providerFromEnv, setAgentModelProvider } from "../src/crm/agents/provider.js";
import { createAgent } from "../src/crm/agents/store.js";
import { insertProspects } from "../src/crm/prospects.js";
import { executeAgentTask } from "../src/trigger/jobs.js";
import { finished, openCrm, STORES, workspace } from "./helpers.js";
import { startLlmServer } from "./llm-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PAGE_DIR = fileURLToPath(new URL("./agent-page/", import.meta.url));
const ARTIFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const POLL_MS = 20_000;

function staticServer(root: string): Promise<http.Server> {
  const mime: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
  };
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { "content-type": mime[extname(file)] ?? "application/octet-stream" }).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("agent output in a browser page (useRealtimeStream)", () => {
  let browser: Browser;
  let outDir: string;
  let site: http.Server;
  let crm: Awaited<ReturnType<typeof openCrm>>;
  let api: RunningServer;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
      );
    outDir = await mkdtemp(join(tmpdir(), "crm-agent-page-"));
    await build({
      root: PAGE_DIR,
      configFile: false,
      logLevel: "warn",
      mode: "development",
      define: { "process.env.NODE_ENV": JSON.stringify("development") },
      oxc: { jsx: { runtime: "automatic" } },
      build: { outDir, emptyOutDir: true, minify: false, sourcemap: false },
    });
    site = await staticServer(outDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
      headless: true,
    });
    crm = await openCrm(STORES[1]!()); // PostgreSQL
    api = await startServer({
      engine: crm.engine,
      port: 0,
      host: "127.0.0.1",
      logger: pino({ level: "silent" }),
    });
  }, 120_000);

  afterAll(async () => {
    setAgentModelProvider(undefined);
    await browser?.close();
    await new Promise((r) => (site ? site.close(r) : r(undefined)));
    await api?.close();
    await crm?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("shows tokens as the model generates them, then the whole answer with its tool call and usage", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const answer = ["Ada ", "Lovelace ", "is ", "a ", "qualified ", "lead."];
    const llm = await startLlmServer((_request, i) =>
      i === 0
        ? {
            toolCalls: [{ name: "lookup_prospect", arguments: { query: "ada@acme.io" } }],
            usage: { prompt: 30, completion: 6 },
          }
        : { tokens: answer, pauseAfter: { tokens: 2, until: held }, usage: { prompt: 60, completion: 6 } },
    );
    try {
      setAgentModelProvider(providerFromEnv({ OPENAI_BASE_URL: llm.url, AI_MODEL: "local-model" }));
      const ws = await workspace(crm.db, "professional");
      await insertProspects(crm.db, ws.id, [
        { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.io", stage: "qualified" },
      ]);
      const agent = await createAgent(crm.db, ws.id, { name: "Qualifier", tools: ["lookup_prospect"] });
      const run = await executeAgentTask.trigger(
        { agentId: agent.id, workspaceId: ws.id, inputs: { email: "ada@acme.io" } },
        { tags: [`workspace:${ws.id}`] },
      );
      /** What agent-page/main.tsx reads from its `config` query parameter. */
      const config: { baseURL: string; runId: string; accessToken: string } = {
        baseURL: api.url,
        runId: run.id,
        // what the CRM's web app would mint for a member of the workspace
        accessToken: await api.context.tokens.sign({
          sub: "member",
          scopes: [`read:tags:workspace:${ws.id}`],
          expiresIn: "1h",
        }),
      };
      const page = await browser.newPage({ viewport: { width: 800, height: 400 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));
      await page.goto(
        `http://127.0.0.1:${(site.address() as AddressInfo).port}/?config=${encodeURIComponent(JSON.stringify(config))}`,
      );
      const text = (id: string) => page.locator(`#${id}`).textContent();

      // the model holds its answer after two tokens: the page already shows them, live
      await expect.poll(() => text("tokens"), { timeout: POLL_MS }).toBe("Ada Lovelace ");
      expect(await text("tools")).toBe("lookup_prospect");
      expect(await text("done")).toBe("streaming");
      expect((await crm.engine.retrieveRun(run.id)).isCompleted).toBe(false);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "agent-stream-partial.png") });

      release();
      await expect.poll(() => text("done"), { timeout: POLL_MS }).toBe("done");
      expect(await text("tokens")).toBe(answer.join(""));
      expect(await text("token-count")).toBe(String(answer.length));
      expect(await text("usage")).toBe("102"); // both model steps of the turn: 30 + 6 + 60 + 6
      await page.screenshot({ path: join(ARTIFACTS, "agent-stream-done.png") });
      expect((await finished(run.id)).status).toBe("COMPLETED");
      expect(await text("error")).toBe("");
      expect(pageErrors).toEqual([]);
      await page.close();
    } finally {
      release();
      await llm.close();
    }
  });
});
