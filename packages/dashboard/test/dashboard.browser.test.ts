/**
 * The dashboard in headless Chromium (playwright-core, Debian's /usr/bin/chromium) against a
 * real server and engine (PGlite) serving the built dashboard (the same dist `npm start`
 * serves, built here first if it is stale): log in with the password, trigger a task from the
 * test page (its schema refuses a bad payload first) and watch it complete, filter runs by tag,
 * watch a run's stream live, complete the wait token it waits on and see it resume, pause a
 * queue and see runs stay queued, resume it and see them run; schedules with the cron check;
 * a phone-width layout. No console errors anywhere. A screenshot of each page goes to
 * test-results/dashboard/.
 *
 * Needs Chromium (`apt-get install -y chromium`, or CHROMIUM_PATH). Without it this fails: it
 * never skips.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { logger, queue, schedules, schemaTask, step, streams, task, wait } from "@mainspring/sdk";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { pgliteStore } from "../../engine/test/helpers.js";
import { type Harness, startHarness } from "../../server/test/harness.js";
import { DIST_DIR, ensureDashboardBuilt } from "../build.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];
const SHOTS = fileURLToPath(new URL("../../../test-results/dashboard/", import.meta.url));
const PASSWORD = "dashboard-test-password";
/** How long the page may take to show something (generous: CI runs two suites at once). */
const POLL_MS = 20_000;

const WORDS = "Mainspring streams every token to the dashboard live".split(" ");
const text = streams.define<string>({ id: "text" });

schemaTask({
  id: "ui-hello",
  schema: z.object({ name: z.string().min(2) }),
  run: async ({ name }) => ({ greeting: `Hello, ${name}!` }),
});

task({ id: "ui-tagged", run: async () => "ok" });

task({
  id: "ui-streamer",
  run: async () => {
    for (const word of WORDS) {
      await text.append(`${word} `);
      await new Promise((r) => setTimeout(r, 60));
    }
    const token = await wait.createToken({ tags: ["ui:approval"], timeout: "1h" });
    const decision = await wait.forToken<{ approved: boolean }>(token.id);
    return { approved: decision.ok && decision.output.approved };
  },
});

const PARTS = ["part-1", "part-2", "part-3", "part-4", "part-5"];
const partStreams = PARTS.map((id) => streams.define<string>({ id }));
task({
  id: "ui-many-streams",
  run: async () => {
    for (const [i, stream] of partStreams.entries()) await stream.append(`written to ${PARTS[i]}`);
  },
});

task({
  id: "ui-chatty",
  run: async ({ tokenId }: { tokenId: string }) => {
    // in a step, so the replay after the wait does not log these again
    await step.run("first half", async () => {
      for (let i = 1; i <= 600; i++) logger.info(`line ${i}`);
    });
    await wait.forToken(tokenId);
    for (let i = 601; i <= 1200; i++) logger.info(`line ${i}`);
  },
});

const uiQueue = queue({ name: "ui-queue", concurrencyLimit: 5 });
task({ id: "ui-queued", queue: uiQueue, run: async (n: number) => n * 2 });

schedules.task({ id: "ui-nightly", cron: "0 2 * * *", run: async () => undefined });

let browser: Browser;
let h: Harness;
let page: Page;
const consoleErrors: string[] = [];
const origin = () => h.server.url;

const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
const runStatus = () => page.locator("#run-status").getAttribute("data-status");

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  }
  await ensureDashboardBuilt();
  await mkdir(SHOTS, { recursive: true });
  h = await startHarness(pgliteStore(), { dashboardPassword: PASSWORD, staticDir: DIST_DIR });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe("dashboard in headless Chromium (pglite)", () => {
  it("refuses a wrong password, logs in with the right one, and shows the overview", async () => {
    await page.goto(`${origin()}/runs?tags=x`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Dashboard password").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect
      .poll(() => page.locator("[role=alert]").textContent(), { timeout: POLL_MS })
      .toContain("Wrong password");
    await shot("login");
    // the failed login's 401 is logged by the browser; it is the one console error allowed
    expect(consoleErrors.splice(0).every((e) => e.includes("401"))).toBe(true);

    await page.getByLabel("Dashboard password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    // back where it was going
    await page.waitForURL(/\/runs\?tags=x$/);
    await page.getByRole("link", { name: "Overview" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Runs per minute" }).isVisible()).toBe(true);
    await page.locator(".chart canvas").first().waitFor();
    await shot("overview");
  });

  it("triggers a task from the test page (its schema refuses a bad payload first) and watches it complete", async () => {
    await page.getByRole("link", { name: "Test" }).click();
    await page.locator('select[name="task"]').selectOption("ui-hello");
    const payload = page.getByLabel("Payload (JSON)");
    // the page starts from a payload built from the task's schema
    await expect.poll(() => payload.inputValue(), { timeout: POLL_MS }).toContain('"name"');
    await payload.fill('{ "name": "A" }');
    await expect
      .poll(() => page.locator("#payload-check").textContent(), { timeout: POLL_MS })
      .toContain("schema refuses");
    expect(await page.getByRole("button", { name: "Trigger run" }).isDisabled()).toBe(true);
    await payload.fill('{ "name": "Ada" }');
    await expect
      .poll(() => page.locator("#payload-check").textContent(), { timeout: POLL_MS })
      .toContain("Matches");
    await page.getByLabel("Tags (comma-separated)").fill("ui:test-page");
    await shot("test");
    await page.getByRole("button", { name: "Trigger run" }).click();
    await page.waitForURL(/\/runs\/run_/);
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("COMPLETED");
    await expect.poll(() => page.getByTitle("Output").textContent()).toContain("Hello, Ada!");
    const runId = page.url().split("/runs/")[1]!;
    expect((await h.engine.retrieveRun(runId)).tags).toEqual(["ui:test-page"]);
  });

  it("filters runs by tag", async () => {
    const a = await h.engine.trigger("ui-tagged", {}, { tags: ["team:a"] });
    const b = await h.engine.trigger("ui-tagged", {}, { tags: ["team:b"] });
    await page.getByRole("link", { name: "Runs" }).click();
    await page.locator(`tr[data-run-id="${b.id}"]`).waitFor({ timeout: POLL_MS });
    await page.getByLabel("Tags (any of, comma-separated)").fill("team:a");
    await page.waitForURL(/tags=team%3Aa/);
    await expect
      .poll(
        async () =>
          page
            .locator("tbody tr[data-run-id]")
            .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id"))),
        {
          timeout: POLL_MS,
        },
      )
      .toEqual([a.id]);
    await expect
      .poll(() => page.locator(`tr[data-run-id="${a.id}"]`).getAttribute("data-status"), { timeout: POLL_MS })
      .toBe("COMPLETED");
    await shot("runs-filtered");
  });

  it("shows a run's stream live, then completes the token it waits on and sees it resume", async () => {
    const run = await h.engine.trigger("ui-streamer", {});
    await page.goto(`${origin()}/runs/${run.id}`);
    const stream = page.locator('pre[data-stream="text"]');
    // the text grows while the run writes it, then is whole
    await expect
      .poll(async () => ((await stream.count()) ? await stream.textContent() : ""), { timeout: POLL_MS })
      .toMatch(/^Mainspring/);
    await expect.poll(() => stream.textContent(), { timeout: POLL_MS }).toBe(`${WORDS.join(" ")} `);
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("WAITING");
    await expect
      .poll(() => page.locator(".timeline").textContent(), { timeout: POLL_MS })
      .toContain("Wait for token");
    await shot("run-live-stream");

    // the token, from the tokens list filtered by its tag
    await page.getByRole("link", { name: "Wait tokens" }).click();
    await page.getByLabel("Tags (any of)").fill("ui:approval");
    const row = page.locator("tr[data-token-id]");
    await expect.poll(() => row.count(), { timeout: POLL_MS }).toBe(1);
    await shot("tokens");
    await row.getByRole("link").click();
    await page.waitForURL(/\/tokens\/waitpoint_/);
    await page.getByRole("link", { name: run.id }).waitFor({ timeout: POLL_MS });
    await page.getByLabel(/^Data \(JSON/).fill('{ "approved": true }');
    await page.getByRole("button", { name: "Complete token" }).click();
    await expect
      .poll(() => page.locator("#token-status").getAttribute("data-status"), { timeout: POLL_MS })
      .toBe("COMPLETED");
    await shot("token");

    await page.getByRole("link", { name: run.id }).click();
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("COMPLETED");
    await expect
      .poll(() => page.getByTitle("Output").textContent(), { timeout: POLL_MS })
      .toContain('"approved": true');
    await shot("run-completed");
  });

  it("opens a run's first three streams live and keeps the others closed until asked", async () => {
    const run = await h.engine.trigger("ui-many-streams", {});
    await page.goto(`${origin()}/runs/${run.id}`);
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("COMPLETED");
    await expect.poll(() => page.locator("details.stream").count(), { timeout: POLL_MS }).toBe(5);
    // each open stream holds a connection; the browser has six per server for all its tabs
    expect(await page.locator("details.stream[open]").count()).toBe(3);
    expect(await page.locator("pre[data-stream]").count()).toBe(3);
    const closed = page.locator("details.stream:not([open])").first();
    const name = await closed.locator("h3").textContent();
    await closed.locator("summary").click();
    await expect
      .poll(() => page.locator(`pre[data-stream="${name}"]`).textContent(), { timeout: POLL_MS })
      .toBe(`written to ${name}`);
    await shot("run-many-streams");
  });

  it("shows a chatty run's newest log lines, fills in those written past the page, loads earlier ones", async () => {
    const token = await h.engine.createToken({});
    const run = await h.engine.trigger("ui-chatty", { tokenId: token.id });
    await page.goto(`${origin()}/runs/${run.id}`);
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("WAITING");
    const logs = page.locator('[role="log"]');
    const lineCount = () => logs.getAttribute("data-lines");
    const messages = page.locator('[role="log"] .message');
    await expect.poll(lineCount, { timeout: POLL_MS }).toBe("500"); // the run's detail carries its newest 500
    expect(await messages.first().textContent()).toBe("line 101");
    // 600 more lines while the page is open: the newest 500 arrive with the detail, the 100
    // between what was shown and them are fetched, so nothing is missing
    await h.engine.completeToken(token.id, {});
    await expect.poll(runStatus, { timeout: POLL_MS }).toBe("COMPLETED");
    await expect.poll(lineCount, { timeout: POLL_MS }).toBe("1100");
    const earlier = page.getByRole("button", { name: "Show earlier lines" });
    await earlier.click();
    await expect.poll(lineCount, { timeout: POLL_MS }).toBe("1200");
    expect(await earlier.count()).toBe(0);
    expect(await messages.allTextContents()).toEqual(Array.from({ length: 1200 }, (_, i) => `line ${i + 1}`));
    await shot("run-logs");
  });

  it("pauses a queue (runs stay queued), resumes it (they run)", async () => {
    await page.getByRole("link", { name: "Queues" }).click();
    const row = page.locator('tr[data-queue="ui-queue"]');
    await row.getByRole("button", { name: "Pause queue ui-queue" }).click();
    await expect
      .poll(async () => (await h.engine.inspect.queues()).find((q) => q.name === "ui-queue")?.paused)
      .toBe(true);
    const runs = await Promise.all([1, 2, 3].map((n) => h.engine.trigger("ui-queued", n)));
    await expect
      .poll(() => row.locator('[data-count="queued"]').textContent(), { timeout: POLL_MS })
      .toBe("3");
    // several claim cycles pass (the worker wakes on each trigger and polls every second): still queued
    await new Promise((r) => setTimeout(r, 1500));
    expect((await h.engine.retrieveRuns(runs.map((r) => r.id))).map((r) => r.status)).toEqual([
      "QUEUED",
      "QUEUED",
      "QUEUED",
    ]);
    await shot("queues-paused");

    await row.getByRole("button", { name: "Resume queue ui-queue" }).click();
    await expect
      .poll(() => row.locator('[data-count="queued"]').textContent(), { timeout: POLL_MS })
      .toBe("0");
    await expect
      .poll(
        async () =>
          (await h.engine.retrieveRuns(runs.map((r) => r.id))).every((r) => r.status === "COMPLETED"),
        {
          timeout: POLL_MS,
        },
      )
      .toBe(true);
    // the per-key counts
    await row.locator("button.disclosure").click();
    await expect
      .poll(() => page.locator("tr.subrow").textContent(), { timeout: POLL_MS })
      .toContain("No key has runs");
    await shot("queues");
  });

  it("lists schedules with their next run and checks a cron pattern as it is typed", async () => {
    await page.getByRole("link", { name: "Schedules" }).click();
    const row = page.locator("tr[data-schedule-id]", { hasText: "ui-nightly" });
    await row.waitFor({ timeout: POLL_MS });
    expect(await row.textContent()).toContain("0 2 * * *");
    await page.getByRole("button", { name: "New schedule" }).click();
    const cron = page.getByLabel("Cron pattern");
    await cron.fill("61 * * * *");
    await expect
      .poll(() => page.locator("#cron-preview").textContent(), { timeout: POLL_MS })
      .toContain("minute");
    expect(await page.getByRole("button", { name: "Create schedule" }).isDisabled()).toBe(true);
    await cron.fill("30 9 * * 1-5");
    await page.getByLabel("Time zone").selectOption("Europe/Paris");
    await expect
      .poll(() => page.locator("#cron-preview").textContent(), { timeout: POLL_MS })
      .toContain("Next:");
    await page.getByRole("button", { name: "Create schedule" }).click();
    const created = page.locator("tr[data-schedule-id]", { hasText: "30 9 * * 1-5" });
    await created.waitFor({ timeout: POLL_MS });
    expect(await created.textContent()).toContain("Europe/Paris");
    await shot("schedules");
  });

  it("fits a phone's width, with the navigation behind a menu button", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${origin()}/runs`);
    await page.locator("tbody tr[data-run-id]").first().waitFor({ timeout: POLL_MS });
    expect(await page.locator("#side-nav").isVisible()).toBe(false);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("runs-phone");
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("link", { name: "Queues" }).click();
    await page.waitForURL(/\/queues$/);
    await shot("queues-phone");
  });

  it("logged no console errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});
