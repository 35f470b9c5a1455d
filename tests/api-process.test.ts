/**
 * `mainspring start` serves the HTTP API: the first start on an empty embedded store prints a
 * development key that works with the official client, and `mainspring keys` manages keys.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configure, runs, tasks } from "@trigger.dev/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../packages/engine/test/helpers.js";
import { FIXTURE_CONFIG, type Spawned, spawnMainspring } from "./helpers/processes.js";

const BIN = new URL("../packages/cli/bin/mainspring.js", import.meta.url).pathname;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "--config", FIXTURE_CONFIG, ...args], {
      env: { ...process.env, DATABASE_URL: "", ...env },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("mainspring start serves the HTTP API", () => {
  const children: Spawned[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.child.kill("SIGTERM");
      await c.exited;
    }
  });

  it("prints a development key at first start that the official client can use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-api-"));
    const started = await spawnMainspring(
      ["start"],
      { MAINSPRING_DATA_DIR: dir, DATABASE_URL: "", LOG_LEVEL: "warn" },
      "key:",
    );
    children.push(started);
    await waitFor(
      () => /api: +(http:\/\/\S+)/.test(started.output()) && /tr_dev_sk_\w{24}/.test(started.output()),
    );
    const url = started.output().match(/api: +(http:\/\/\S+)/)![1]!;
    const key = started.output().match(/tr_dev_sk_\w{24}/)![0];
    configure({ baseURL: url, accessToken: key });
    const handle = await tasks.trigger("mp-sleeper", { ms: 10 });
    const run = await waitFor(async () => {
      const r = await runs.retrieve(handle.id);
      return r.isCompleted ? r : undefined;
    });
    expect(run.status).toBe("COMPLETED");
    started.child.kill("SIGTERM");
    await started.exited;
    children.splice(0);

    // a second start prints no new key (the first one is still the key)
    const again = await spawnMainspring(
      ["start"],
      { MAINSPRING_DATA_DIR: dir, DATABASE_URL: "", LOG_LEVEL: "warn" },
      "api:",
    );
    children.push(again);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.output()).not.toMatch(/tr_dev_sk_/);
  }, 150_000);

  it("creates, lists and revokes keys from the command line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-keys-"));
    const env = { MAINSPRING_DATA_DIR: dir };
    const created = await cli(["--json", "keys", "create", "--name", "ci", "--env", "prod"], env);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.out) as { key: string; id: string; name: string };
    expect(key.key).toMatch(/^tr_prod_sk_[0-9A-Za-z]{24}$/);
    expect((await cli(["keys", "revoke", key.id], env)).code).toBe(0);
    const listed = await cli(["keys", "list"], env);
    expect(listed.out).toContain(key.id);
    expect(listed.out).toMatch(/revoked/);
    expect(listed.out).not.toContain(key.key);
    const bad = await cli(["keys", "create", "--env", "staging"], env);
    expect(bad.code).not.toBe(0);
  }, 120_000);
});
