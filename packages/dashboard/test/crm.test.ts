/**
 * The dashboard's CRM pages in headless Chromium (playwright-core, Debian's /usr/bin/chromium)
 * against a real engine with the CRM (PGlite) and a real server with the app's routes, serving
 * the built dashboard: leads by score and one lead's breakdown and history; a campaign sent from
 * its page with live progress and the send-rate chart (to the local mailbox); the mailbox
 * message with its List-Unsubscribe header and its body as text; the approvals inbox, where an
 * approval with a comment resumes the waiting `request-approval` run; agents with an execution
 * whose run page streams its output; documents indexed, and a search; a phone-width layout.
 * No console errors. A screenshot of each page goes to test-results/dashboard/crm-*.png.
 *
 * Needs Chromium (`apt-get install -y chromium`, or CHROMIUM_PATH). Without it this fails: it
 * never skips.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { streams, task } from "@mainspring/sdk";
import pino from "pino";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import config from "../../../app/mainspring.config.js";
import { createDocuments } from "../../../app/src/crm/documents.js";
import { createCampaign } from "../../../app/src/crm/email/campaigns.js";
import { insertProspects } from "../../../app/src/crm/prospects.js";
import { scoreProspect } from "../../../app/src/crm/scoring/store.js";
import type { Workspace } from "../../../app/src/crm/workspaces.js";
import { bulkIndexDocumentsTask, requestApprovalTask } from "../../../app/src/trigger/jobs.js";
import { openCrm, STORES, waitFor, workspace } from "../../../app/test/helpers.js";
import { type RunningServer, startServer } from "../../server/src/server.js";
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
const PASSWORD = "crm-dashboard-test-password";
const POLL_MS = 20_000;
/** Leads with an address: the campaign's audience (all leads), sent at the starter tier's 10/s. */
const LEADS = 16;

const agentOutput = streams.define<string>({ id: "agent-output" });
const AGENT_WORDS = "Ada runs the engine team: propose a pilot".split(" ");
task({
  id: "crm-ui-agent",
  run: async () => {
    for (const word of AGENT_WORDS) await agentOutput.append(`${word} `);
    return { answer: AGENT_WORDS.join(" ") };
  },
});

let crm: Awaited<ReturnType<typeof openCrm>>;
let server: RunningServer;
let browser: Browser;
let page: Page;
let ws: Workspace;
let adaId: string;
let approvalRunId: string;
let agentRunId: string;
const consoleErrors: string[] = [];
const savedEnv = { smtp: process.env.SMTP_URL, rate: process.env.MAIL_RATE_LIMIT_STARTER };

const origin = () => server.url;
const shot = (name: string) => page.screenshot({ path: `${SHOTS}crm-${name}.png`, fullPage: true });
const nav = (label: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label });

async function seed(): Promise<void> {
  const { db, engine } = crm;
  ws = await workspace(db, "starter");
  const ids = await insertProspects(db, ws.id, [
    {
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ada@engines.test",
      phone: "+44 20 7946 0000",
      company: "Analytical Engines",
      jobTitle: "CTO",
      estimatedValue: 120_000,
      stage: "contacted",
      lastActivityAt: new Date(),
    },
    ...Array.from({ length: LEADS - 1 }, (_, i) => ({
      firstName: `Lead${i}`,
      email: `lead${i}@example.test`,
      company: i % 2 ? `Company ${i}` : null,
      stage: "new" as const,
    })),
  ]);
  adaId = ids[0]!;
  // two scorings of Ada, the stage moving in between: the history shows what changed
  await scoreProspect(db, { workspaceId: ws.id, prospectId: adaId });
  await db.query("update crm_prospects set stage = 'qualified' where id = $1", [adaId]);
  for (const id of ids) await scoreProspect(db, { workspaceId: ws.id, prospectId: id });

  await createCampaign(db, {
    workspaceId: ws.id,
    name: "Spring launch",
    subject: "Hello {{first_name|there}}",
    body: "Hi {{first_name|there}},\n\n<b>This stays text</b>: the engines are ready.\n",
    audience: "all_leads",
  });

  await createDocuments(db, ws.id, [
    { title: "Refund policy", content: "# Refunds\n\nYou can get a refund within 30 days of purchase." },
    { title: "Pricing", content: "# Plans\n\nStarter, professional and enterprise plans." },
  ]);
  await bulkIndexDocumentsTask.trigger({ workspaceId: ws.id });

  // an agent with one execution, whose run streams its output
  const agentRun = await engine.trigger("crm-ui-agent", {});
  agentRunId = agentRun.id;
  await db.query(
    "insert into crm_agents (id, workspace_id, name) values ('agent_ui', $1, 'Lead researcher')",
    [ws.id],
  );
  await db.query(
    `insert into crm_agent_executions (id, workspace_id, agent_id, run_id, status, model, total_tokens, tool_calls, cost_usd, duration_ms)
     values ('exec_ui', $1, 'agent_ui', $2, 'completed', 'local-test', 42, 1, 0.0001, 900)`,
    [ws.id, agentRun.id],
  );

  // an approval whose run waits
  const run = await requestApprovalTask.trigger({
    workspaceId: ws.id,
    type: "campaign",
    entityId: "cmp_review",
    title: "Review the spring launch",
    description: `This will send to ${LEADS} recipients`,
    requestedBy: "user-1",
    timeout: "24h",
  });
  approvalRunId = run.id;
  await waitFor(async () => (await engine.retrieveRun(run.id)).status === "WAITING", {
    what: "the approval run to wait",
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  }
  // the local mailbox, and a send slow enough to watch (10 messages a second)
  delete process.env.SMTP_URL;
  process.env.MAIL_RATE_LIMIT_STARTER = "10";
  await ensureDashboardBuilt();
  await mkdir(SHOTS, { recursive: true });
  crm = await openCrm(STORES[0]!());
  server = await startServer({
    engine: crm.engine,
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    dashboardPassword: PASSWORD,
    staticDir: DIST_DIR,
    appRoutes: config.routes ?? [],
  });
  await seed();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await crm?.close();
  for (const [key, value] of [
    ["SMTP_URL", savedEnv.smtp],
    ["MAIL_RATE_LIMIT_STARTER", savedEnv.rate],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("dashboard CRM pages in headless Chromium (pglite)", () => {
  it("lists leads by score and explains one lead's score factor by factor, with its history", async () => {
    await page.goto(`${origin()}/crm/leads`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Dashboard password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    // the workspace lands in the URL
    await page.waitForURL(new RegExp(`/crm/leads\\?ws=${ws.id}`));
    const rows = page.locator("tbody tr[data-prospect-id]");
    await expect.poll(() => rows.count(), { timeout: POLL_MS }).toBe(LEADS);
    // highest score first: Ada
    expect(await rows.first().getAttribute("data-prospect-id")).toBe(adaId);
    await page.getByLabel("Search leads").fill("engines");
    await expect.poll(() => rows.count(), { timeout: POLL_MS }).toBe(1);
    await shot("leads");

    await rows.first().getByRole("link", { name: "Ada Lovelace" }).click();
    await page.waitForURL(new RegExp(`/crm/leads/${adaId}\\?ws=`));
    const breakdown = page.locator("#score-breakdown");
    await breakdown.waitFor({ timeout: POLL_MS });
    expect(await breakdown.locator('tr[data-factor="stage"]').textContent()).toContain("stage qualified");
    expect(await breakdown.locator('tr[data-factor="jobTitle"]').textContent()).toContain(
      'senior title "CTO"',
    );
    const score = Number(await page.locator("#lead-score").getAttribute("data-score"));
    expect(score).toBeGreaterThan(0);
    // two scorings; the newest says what moved
    const history = page.locator("#score-history tbody tr");
    expect(await history.count()).toBe(2);
    expect(await history.first().textContent()).toContain("Stage +");
    await page.locator("section[aria-labelledby='history-heading'] .chart canvas").waitFor();
    await shot("lead");
  });

  it("sends a campaign from its page and follows its progress and send rate live", async () => {
    await nav("Campaigns").click();
    const row = page.locator("tr[data-campaign-id]", { hasText: "Spring launch" });
    await row.waitFor({ timeout: POLL_MS });
    await row.getByRole("link", { name: "Spring launch" }).click();
    await page.waitForURL(/\/crm\/campaigns\/cmp_/);
    const status = () => page.locator("#campaign-status").getAttribute("data-status");
    await expect.poll(status, { timeout: POLL_MS }).toBe("draft");
    await page.getByRole("button", { name: "Send now" }).click();
    await expect.poll(status, { timeout: POLL_MS }).toBe("sending");
    // progress moves while it sends (the page polls every second)
    await expect
      .poll(async () => Number(await page.locator('[data-count="sent"]').textContent()), { timeout: POLL_MS })
      .toBeGreaterThan(0);
    await expect.poll(status, { timeout: POLL_MS }).toBe("sent");
    expect(await page.locator('[data-count="sent"]').textContent()).toBe(String(LEADS));
    await page.locator("#progress-heading ~ .chart canvas").waitFor({ timeout: POLL_MS });
    await expect
      .poll(() => page.locator("section[aria-labelledby='send-runs-heading'] li[data-run-id]").count(), {
        timeout: POLL_MS,
      })
      .toBeGreaterThan(0);
    await shot("campaign");

    await nav("Campaigns").click();
    await expect.poll(() => row.getAttribute("data-status"), { timeout: POLL_MS }).toBe("sent");
    await shot("campaigns");
  });

  it("opens a mailbox message: its headers (List-Unsubscribe) and its body as text", async () => {
    await nav("Mailbox").click();
    const rows = page.locator("tr[data-message-id]");
    await expect.poll(() => rows.count(), { timeout: POLL_MS }).toBe(LEADS);
    await shot("mailbox");
    await page.locator("tr[data-message-id]", { hasText: "ada@engines.test" }).getByRole("link").click();
    await page.waitForURL(/\/crm\/mailbox\/\d+/);
    const unsubscribe = page.locator('tr[data-header="List-Unsubscribe"] td');
    await unsubscribe.waitFor({ timeout: POLL_MS });
    expect(await unsubscribe.textContent()).toMatch(/^<http.*>, <mailto:.*>$/);
    expect(await page.locator('tr[data-header="Subject"] td').textContent()).toBe("Hello Ada");
    // the body is text: the tag shows as written, nothing is rendered as HTML
    expect(await page.locator("#message-body").textContent()).toContain("<b>This stays text</b>");
    expect(await page.locator("#message-body b").count()).toBe(0);
    await shot("message");
  });

  it("approves with a comment in the approvals inbox, and the waiting run resumes", async () => {
    await nav("Approvals").click();
    const card = page.locator("article[data-approval-id]", { hasText: "Review the spring launch" });
    await card.waitFor({ timeout: POLL_MS });
    expect(await card.textContent()).toContain(`This will send to ${LEADS} recipients`);
    await card.getByLabel("Comment (optional)").fill("Go ahead, numbers look right");
    await shot("approvals");
    await card.getByRole("button", { name: "Approve" }).click();

    // it leaves the pending list, and stays in view with its run, which resumes
    const decided = page.locator("section[aria-labelledby='decided-heading']");
    await expect.poll(() => card.count(), { timeout: POLL_MS }).toBe(0);
    await expect
      .poll(() => decided.locator("[data-run-status]").getAttribute("data-run-status"), { timeout: POLL_MS })
      .toBe("COMPLETED");
    const run = await crm.engine.retrieveRun(approvalRunId);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toMatchObject({
      approved: true,
      approver: "api",
      comment: "Go ahead, numbers look right",
    });
    await shot("approvals-decided");

    await decided.getByRole("link", { name: approvalRunId }).click();
    await page.waitForURL(new RegExp(`/runs/${approvalRunId}$`));
    await expect
      .poll(() => page.locator("#run-status").getAttribute("data-status"), { timeout: POLL_MS })
      .toBe("COMPLETED");
  });

  it("lists agents with an execution whose run page shows its streamed output", async () => {
    await nav("Agents").click();
    const row = page.locator('tr[data-execution-id="exec_ui"]');
    await row.waitFor({ timeout: POLL_MS });
    expect(await page.locator('tr[data-agent-id="agent_ui"]').textContent()).toContain("Lead researcher");
    await shot("agents");
    await row.getByRole("link", { name: agentRunId }).click();
    await page.waitForURL(new RegExp(`/runs/${agentRunId}$`));
    await expect
      .poll(() => page.locator('pre[data-stream="agent-output"]').textContent(), { timeout: POLL_MS })
      .toBe(`${AGENT_WORDS.join(" ")} `);
  });

  it("shows documents with their index status, and searches them", async () => {
    await nav("Documents").click();
    await expect
      .poll(
        () =>
          page
            .locator("tr[data-document-id]")
            .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")).sort()),
        { timeout: POLL_MS },
      )
      .toEqual(["indexed", "indexed"]);
    await page.getByLabel("Search documents").fill("refund");
    await page.getByRole("button", { name: "Search" }).click();
    const hits = page.locator("#search-results li[data-item-id]");
    await expect.poll(() => hits.count(), { timeout: POLL_MS }).toBeGreaterThan(0);
    expect(await hits.first().textContent()).toContain("Refund policy");
    expect(await hits.first().locator("mark").count()).toBeGreaterThan(0);
    await shot("documents");
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ["/crm/leads", `/crm/leads/${adaId}`, "/crm/campaigns", "/crm/approvals?status=all"]) {
      await page.goto(`${origin()}${path}${path.includes("?") ? "&" : "?"}ws=${ws.id}`);
      await page.locator("main h1").waitFor({ timeout: POLL_MS });
      await page.locator("main table, main article").first().waitFor({ timeout: POLL_MS });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await shot("approvals-phone");
    await page.goto(`${origin()}/crm/leads/${adaId}?ws=${ws.id}`);
    await page.locator("#score-breakdown").waitFor({ timeout: POLL_MS });
    await shot("lead-phone");
  });

  it("logged no console errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});
