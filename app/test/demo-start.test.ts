/**
 * `npm start` on an empty store seeds one demo workspace per tier and says so; the seeded
 * leads get scored and the documents indexed by the running process; a restart seeds nothing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore } from "@mainspring/engine";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createSchema, dropSchema, TEST_DATABASE_URL } from "../../packages/engine/test/helpers.js";
import { waitFor } from "./helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];

function start(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      join(root, "packages/cli/bin/mainspring.js"),
      "--config",
      join(root, "app/mainspring.config.ts"),
      "start",
    ],
    // PORT=0: once `start` serves HTTP, parallel test files must not fight over one port.
    { env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    output: () => out,
    exited,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("npm start seeds the demo", () => {
  it("on PostgreSQL (MAINSPRING_DEMO=1): seeds once, then scores every lead and indexes every document", {
    timeout: 240_000,
  }, async () => {
    const schema = await createSchema();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const env = { DATABASE_URL: TEST_DATABASE_URL, MAINSPRING_DB_SCHEMA: schema, MAINSPRING_DEMO: "1" };
      const first = start(env);
      await waitFor(() => first.output().includes("ready"), { timeoutMs: 60_000, what: "start to be ready" });
      expect(first.output()).toMatch(/seeded 4 demo workspaces \(free .*starter .*professional .*enterprise/);
      const progress = async () =>
        (
          await client.query<{ tier: string; leads: number; scored: number; docs: number; indexed: number }>(
            `select w.tier,
               (select count(*)::int from ${schema}.crm_prospects p where p.workspace_id = w.id) as leads,
               (select count(score)::int from ${schema}.crm_prospects p where p.workspace_id = w.id) as scored,
               (select count(*)::int from ${schema}.crm_knowledge_items i where i.workspace_id = w.id) as docs,
               (select count(*)::int from ${schema}.crm_knowledge_items i
                 where i.workspace_id = w.id and i.indexed_hash = i.content_hash) as indexed
             from ${schema}.crm_workspaces w order by w.tier`,
          )
        ).rows;
      const rows = await waitFor(
        async () => {
          const r = await progress();
          return (
            r.length === 4 && r.every((w) => w.leads > 0 && w.scored === w.leads && w.indexed === w.docs) && r
          );
        },
        { timeoutMs: 120_000, intervalMs: 500, what: "demo leads scored and documents indexed" },
      );
      expect(rows.map((r) => r.tier)).toEqual(["enterprise", "free", "professional", "starter"]);
      expect(await first.stop()).toBe(0);

      const second = start(env);
      await waitFor(() => second.output().includes("ready"), {
        timeoutMs: 60_000,
        what: "restart to be ready",
      });
      expect(second.output()).not.toContain("seeded");
      expect(await second.stop()).toBe(0);
      expect((await progress()).length).toBe(4);
    } finally {
      await client.end();
      await dropSchema(schema);
    }
  });

  it("on an empty embedded folder (the default): seeds and says so", { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-demo-"));
    try {
      // A short grace: the demo indexing still running is released, not waited for.
      const proc = start({ MAINSPRING_DATA_DIR: dir, DATABASE_URL: "", MAINSPRING_SHUTDOWN_GRACE_MS: "500" });
      await waitFor(() => proc.output().includes("ready"), { timeoutMs: 150_000, what: "start to be ready" });
      expect(proc.output()).toContain("[crm] empty CRM: seeded 4 demo workspaces");
      expect(await proc.stop()).toBe(0);
      const db = await openStore({ dataDir: dir });
      try {
        const { rows } = await db.query<{ tier: string }>(
          "select tier from crm_workspaces where is_demo order by tier",
        );
        expect(rows.map((r) => r.tier)).toEqual(["enterprise", "free", "professional", "starter"]);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
