/** The `mainspring` command end to end, on a fresh embedded data folder. */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTask, wait } from "@mainspring/sdk";
import { describe, expect, it } from "vitest";
import { loadProject } from "../packages/cli/src/discover.js";
import { LATEST_VERSION, startEngine } from "../packages/engine/src/index.js";
import { FIXTURE_CONFIG } from "./helpers/processes.js";

const BIN = new URL("../packages/cli/bin/mainspring.js", import.meta.url).pathname;

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "--config", FIXTURE_CONFIG, ...args], {
      env: { ...process.env, DATABASE_URL: "", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("mainspring CLI", () => {
  it("migrates, triggers and waits, lists and shows runs, and reports errors with codes", async () => {
    const env = { MAINSPRING_DATA_DIR: mkdtempSync(join(tmpdir(), "mainspring-cli-")) };

    const migrated = await cli(["--json", "migrate"], env);
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.out).applied.at(-1)).toBe(LATEST_VERSION);

    const ran = await cli(
      ["--json", "trigger", "mp-sleeper", "--payload", '{"ms":10}', "--tags", "cli,test", "--wait"],
      env,
    );
    expect(ran.code).toBe(0);
    const run = JSON.parse(ran.out);
    expect(run).toMatchObject({ status: "COMPLETED", taskIdentifier: "mp-sleeper", tags: ["cli", "test"] });

    const listed = await cli(["--json", "runs", "list", "--tag", "cli"], env);
    expect(JSON.parse(listed.out).data.map((r: { id: string }) => r.id)).toEqual([run.id]);

    const shown = await cli(["runs", "get", run.id], env);
    expect(shown.out).toContain("COMPLETED");
    expect(shown.out).toContain('payload: {"ms":10}');

    const unknown = await cli(["trigger", "no-such-task"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("[TASK_NOT_FOUND]");

    const badJson = await cli(["trigger", "mp-sleeper", "--payload", "{oops"], env);
    expect(badJson.code).not.toBe(0);
    expect(badJson.err).toContain("not valid JSON");
  }, 180_000);
});

describe("mainspring tokens", () => {
  it("completes a wait token from the command line, and lists it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mainspring-tokens-"));
    let engine = await startEngine({ dataDir, worker: false, maintenance: false });
    const token = await wait.createToken({ tags: ["cli"] });
    await engine.stop();

    const done = await cli(["tokens", "complete", token.id, "--data", '{"approved":true}'], {
      MAINSPRING_DATA_DIR: dataDir,
    });
    expect(done.code).toBe(0);
    expect(done.out).toContain(`completed ${token.id}`);
    const listed = await cli(["--json", "tokens", "list", "--status", "COMPLETED"], {
      MAINSPRING_DATA_DIR: dataDir,
    });
    expect(JSON.parse(listed.out).data.map((t: { id: string }) => t.id)).toEqual([token.id]);

    engine = await startEngine({ dataDir, worker: false, maintenance: false });
    expect(await wait.retrieveToken(token.id)).toMatchObject({
      status: "COMPLETED",
      output: { approved: true },
    });
    await engine.stop();
  }, 60_000);
});

describe("task discovery", () => {
  it("registers every exported task with its file and export name", async () => {
    const project = await loadProject(FIXTURE_CONFIG);
    expect(project.tasks.get("mp-sleeper")).toEqual({
      file: "src/trigger/tasks.ts",
      exportName: "sleeperTask",
    });
    expect(getTask("mp-sleeper")).toMatchObject({
      filePath: "src/trigger/tasks.ts",
      exportName: "sleeperTask",
    });
  });

  it("refuses two tasks with one id", async () => {
    const config = new URL("./fixtures/duplicate/mainspring.config.ts", import.meta.url).pathname;
    await expect(loadProject(config)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining('Task id "same-id" is defined twice'),
    });
  });

  it("says clearly when the config file is missing", async () => {
    await expect(loadProject("/nonexistent/mainspring.config.ts")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });
});
