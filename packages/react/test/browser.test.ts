/**
 * `@mainspring/react` in a real browser: headless Chromium (playwright-core, the system's
 * /usr/bin/chromium) loads a page built with Vite from test/page/, whose components use every
 * hook against an engine and HTTP server running in this process (PGlite, then PostgreSQL):
 * live run status to COMPLETED, streamed text complete (also across a cut connection, resumed
 * with Last-Event-ID), a wait token completed from the page, a task triggered with a
 * trigger-scoped token, runs by tag and batch, and a token of another tag refused.
 *
 * Needs Chromium (`apt-get install -y chromium`; or CHROMIUM_PATH). Without it this fails: it
 * never skips.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { metadata, streams, task, wait } from "@mainspring/sdk";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, STORES, startHarness } from "../../server/test/harness.js";
import type { PageConfig } from "./page/main.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const PAGE_DIR = fileURLToPath(new URL("./page/", import.meta.url));

const WORDS = "The quick brown fox jumps over the lazy dog".split(" ");
const SENTENCE = WORDS.join(" ");
/** The proxy lets this many chunk events through on the first stream connection, then cuts it. */
const CUT_AFTER = 3;
/** How long the page may take to show something (generous: CI runs two suites at once). */
const POLL_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const text = streams.define<string>({ id: "text" });
const agentOutput = streams.define<{ type: "token"; content: string; timestamp: string }>({ id: "default" });

task({
  id: "browser-demo",
  run: async (payload: { tokenId: string }) => {
    metadata.set("progress", 0.1);
    await metadata.flush();
    for (const [i, word] of WORDS.entries()) {
      const piece = i === 0 ? word : ` ${word}`;
      await text.append(piece);
      await agentOutput.append({ type: "token", content: piece, timestamp: new Date().toISOString() });
      await sleep(40);
    }
    metadata.set("progress", 0.5);
    await metadata.flush();
    const decision = await wait.forToken<{ approved: boolean }>(payload.tokenId);
    metadata.set("progress", 1);
    return { approved: decision.ok && decision.output.approved, words: WORDS.length };
  },
});

task({
  id: "browser-echo",
  run: async (payload: { name: string }) => ({ greeting: `Hello, ${payload.name}!` }),
});
task({ id: "browser-double", run: async (n: number) => n * 2 });

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** Serves the built page. */
function staticServer(root: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Forwards everything to the API server, except that a stream connection reading from the
 * start (no Last-Event-ID) is cut right after CUT_AFTER chunk events (socket destroyed, as a
 * dropped network would); resumed ones pass. Records each stream request's Last-Event-ID.
 */
function cuttingProxy(target: URL, seen: Array<string | undefined>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const isStream = req.method === "GET" && (req.url ?? "").startsWith("/api/v1/realtime/streams/");
    const resumed = req.headers["last-event-id"] as string | undefined;
    if (isStream) seen.push(resumed);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!isStream || resumed !== undefined) return void up.pipe(res);
        // forward whole events only, and cut the connection after the CUT_AFTER-th chunk
        let buffer = "";
        let chunks = 0;
        up.setEncoding("utf8");
        up.on("data", (data: string) => {
          buffer += data;
          let end = buffer.indexOf("\n\n");
          while (end >= 0 && chunks < CUT_AFTER) {
            const event = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            res.write(event);
            if (event.includes("event: chunk")) chunks++;
            end = buffer.indexOf("\n\n");
          }
          if (chunks >= CUT_AFTER) {
            up.destroy();
            // let the written events reach the browser, then drop the connection mid-stream
            setTimeout(() => res.socket?.destroy(), 100);
          }
        });
        up.on("end", () => res.end(buffer));
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const close = (server: http.Server | undefined) =>
  new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });

let browser: Browser;
let outDir: string;
let site: http.Server;

// One page build, one browser and one static server for both stores.
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  }
  outDir = await mkdtemp(join(tmpdir(), "mainspring-react-page-"));
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
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await close(site);
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

for (const makeStore of STORES) {
  const store = makeStore();
  describe(`@mainspring/react in headless Chromium (${store.name})`, () => {
    let h: Harness;
    let page: Page;
    let proxy: http.Server;
    const lastEventIds: Array<string | undefined> = [];
    const pageErrors: string[] = [];
    let config: PageConfig;

    beforeAll(async () => {
      h = await startHarness(store);
      proxy = await cuttingProxy(new URL(h.server.url), lastEventIds);
    });

    afterAll(async () => {
      await page?.close();
      await close(proxy);
      await h?.close();
    });

    const text$ = (id: string) => page.locator(`#${id}`);

    it("shows a run live to COMPLETED, its streams in full, and completes its wait token", async () => {
      const token = await h.engine.createToken({});
      const run = await h.engine.trigger("browser-demo", { tokenId: token.id }, { tags: ["ws:A"] });
      const batch = await h.engine.batchTrigger([
        { task: "browser-double", payload: 1 },
        { task: "browser-double", payload: 2 },
      ]);
      const sign = (scopes: string[]) =>
        h.server.context.tokens.sign({ sub: "browser-test", scopes, expiresIn: "1h" });
      const port = (s: http.Server) => (s.address() as AddressInfo).port;
      config = {
        baseURL: h.server.url,
        proxyURL: `http://127.0.0.1:${port(proxy)}`,
        runId: run.id,
        readToken: await sign(["read:tags:ws:A"]),
        tokenId: token.id,
        waitToken: await sign([`write:waitpoints:${token.id}`]),
        triggerToken: await sign(["trigger:tasks:browser-echo"]),
        batchId: batch.batchId,
        batchToken: await sign([`read:batch:${batch.batchId}`]),
        otherToken: await sign(["read:tags:ws:B"]),
      };

      page = await browser.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(`http://127.0.0.1:${port(site)}/?config=${encodeURIComponent(JSON.stringify(config))}`);

      // live: the run streams its text, then waits for the token
      await expect.poll(() => text$("status").textContent(), { timeout: POLL_MS }).toBe("WAITING");
      await expect.poll(() => text$("text").textContent(), { timeout: POLL_MS }).toBe(SENTENCE);
      await expect.poll(() => text$("defined").textContent(), { timeout: POLL_MS }).toBe(SENTENCE);
      await expect.poll(() => text$("default").textContent(), { timeout: POLL_MS }).toBe(SENTENCE);
      expect(await text$("default-types").textContent()).toBe("token");
      await expect.poll(() => text$("progress").textContent(), { timeout: POLL_MS }).toBe("0.5");
      expect(await text$("dates").textContent()).toBe("true");

      // the proxied stream was cut after CUT_AFTER chunks and resumed after the last one seen
      await expect.poll(() => text$("proxied").textContent(), { timeout: POLL_MS }).toBe(SENTENCE);
      expect(await text$("proxied-count").textContent()).toBe(String(WORDS.length));
      expect(lastEventIds.filter((id) => id !== undefined)).toEqual([String(CUT_AFTER - 1)]);
      expect(lastEventIds.at(-1)).toBe(String(CUT_AFTER - 1));

      // approve from the page: the run resumes and completes
      expect(await text$("approved").textContent()).toBe("false");
      await page.click("#approve");
      await expect.poll(() => text$("approved").textContent(), { timeout: POLL_MS }).toBe("true");
      await expect.poll(() => text$("status").textContent(), { timeout: POLL_MS }).toBe("COMPLETED");
      expect(JSON.parse((await text$("output").textContent()) ?? "")).toEqual({
        approved: true,
        words: WORDS.length,
      });
      expect(await text$("progress").textContent()).toBe("1");
      expect(await text$("on-complete").textContent()).toBe("COMPLETED");
      const history = ((await text$("history").textContent()) ?? "").split(">");
      expect(history.at(-1)).toBe("COMPLETED");
      expect(history).toContain("WAITING");
      expect(history.indexOf("WAITING")).toBeLessThan(history.indexOf("COMPLETED"));

      // runs by tag (through the provider's token) and the batch's runs
      await expect
        .poll(() => text$("tagged").textContent(), { timeout: POLL_MS })
        .toBe(`${run.id}=COMPLETED`);
      await expect.poll(() => text$("batch").textContent(), { timeout: POLL_MS }).toBe("COMPLETED,COMPLETED");
      expect(await text$("batch-outputs").textContent()).toBe("2,4");
      for (const id of ["run-error", "stream-error", "approve-error", "lists-error"]) {
        expect(await text$(id).textContent(), id).toBe("");
      }
    });

    it("triggers a task with a trigger-scoped token and follows it with the handle's token", async () => {
      await page.click("#trigger");
      await expect
        .poll(() => text$("handle").textContent(), { timeout: POLL_MS })
        .toMatch(/^\S+ with-token$/);
      await expect.poll(() => text$("trigger-status").textContent(), { timeout: POLL_MS }).toBe("COMPLETED");
      expect(await text$("trigger-output").textContent()).toBe(JSON.stringify({ greeting: "Hello, Ada!" }));
      await page.click("#trigger-rt");
      await expect
        .poll(() => text$("trigger-rt-output").textContent(), { timeout: POLL_MS })
        .toBe(JSON.stringify({ greeting: "Hello, Grace!" }));
      expect(await text$("trigger-error").textContent()).toBe("");
    });

    it("shows an error for a token scoped to another tag, and nothing of the run", async () => {
      for (const id of ["forbidden-run", "forbidden-stream", "forbidden-tag"]) {
        await expect.poll(() => text$(id).textContent(), { message: id, timeout: POLL_MS }).toMatch(/^403 /);
      }
      expect(await text$("forbidden-leak").textContent()).toBe("");
      expect(pageErrors).toEqual([]);
    });
  });
}
