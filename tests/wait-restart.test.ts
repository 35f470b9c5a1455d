/**
 * Acceptance: a run suspended on a durable wait (`wait.for`, `wait.until`, `wait.forToken`,
 * `triggerAndWait`) survives a SIGKILL of its worker process. A new process resumes it once,
 * when the wait is over (not before), in the new process; the `step.run` before the wait is
 * not run again; the run completes with the right output on its first attempt. On PostgreSQL
 * (the test process shares the database with the workers) and on the embedded PGlite store
 * (one opener at a time: the test process reads the folder only while no worker runs).
 *
 * The fixture tasks are in fixtures/project/src/trigger/waits.ts; they write what they do to
 * a file (see there), which is how the test counts side effects across processes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Run, runs, wait } from "@mainspring/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../packages/engine/src/index.js";
import type { Db } from "../packages/engine/src/store/db.js";
import { postgresStore, sleep, TEST_DATABASE_URL, waitFor } from "../packages/engine/test/helpers.js";
import {
  restartParent,
  restartWaitFor,
  restartWaitToken,
  restartWaitUntil,
} from "./fixtures/project/src/trigger/waits.js";
import { postgresWorkers, type Spawned, spawnMainspring } from "./helpers/processes.js";

const WAIT_S = 5;
const CHILD_MS = 3000;
/** The killed worker's lease: its child run is rescued this long after the kill. */
const KILLED_LEASE_MS = "2000";
const KINDS = ["for", "until", "token", "triggerAndWait"] as const;
type Kind = (typeof KINDS)[number];
type Ids = Record<Kind, string>;
const N: Record<Kind, number> = { for: 1, until: 2, token: 3, triggerAndWait: 4 };
const APPROVER = "restart-tester";

interface Output {
  kind: Kind;
  value: number;
  waited: unknown;
  beforePid: number;
  afterPid: number;
  waitedMs: number;
}

/** Lines of the effects file, split into words: `<phase> <kind|runId> ... <pid>`. */
function effects(file: string): string[][] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "));
}
const count = (file: string, phase: string, runId: string) =>
  effects(file).filter((w) => w[0] === phase && w.includes(runId)).length;

async function triggerAll(file: string, token: string): Promise<Ids> {
  return {
    for: (await restartWaitFor.trigger({ file, n: N.for, seconds: WAIT_S })).id,
    until: (await restartWaitUntil.trigger({ file, n: N.until, seconds: WAIT_S })).id,
    token: (await restartWaitToken.trigger({ file, n: N.token, token })).id,
    triggerAndWait: (await restartParent.trigger({ file, n: N.triggerAndWait, childMs: CHILD_MS })).id,
  };
}

async function statuses(db: Db, ids: Ids) {
  const { rows } = await db.query<{ id: string; status: string; parent_run_id: string | null }>(
    `select id, status, parent_run_id from ms_runs
     where id = any(array(select jsonb_array_elements_text($1::jsonb)))
        or parent_run_id = any(array(select jsonb_array_elements_text($1::jsonb)))`,
    [JSON.stringify(Object.values(ids))],
  );
  const parents = Object.fromEntries(KINDS.map((k) => [k, rows.find((r) => r.id === ids[k])?.status]));
  const child = rows.find((r) => r.parent_run_id === ids.triggerAndWait);
  return { parents: parents as Record<Kind, string | undefined>, child };
}

/** The waitpoint each duration run waits on, from its journal. */
async function durationWaitpoints(db: Db, ids: Ids) {
  const out: Partial<
    Record<
      "for" | "until",
      { id: string; status: string; createdAt: number; due: number; completedAt?: number }
    >
  > = {};
  for (const kind of ["for", "until"] as const) {
    const { rows } = await db.query<{
      id: string;
      status: string;
      created_at: Date;
      complete_after: Date;
      completed_at: Date | null;
    }>(
      `select w.id, w.status, w.created_at, w.complete_after, w.completed_at
       from ms_journal j join ms_waitpoints w on w.id = j.data->>'waitpoint'
       where j.run_id = $1 and j.kind = 'wait'`,
      [ids[kind]],
    );
    expect(rows).toHaveLength(1);
    const w = rows[0]!;
    out[kind] = {
      id: w.id,
      status: w.status,
      createdAt: new Date(w.created_at).getTime(),
      due: new Date(w.complete_after).getTime(),
      completedAt: w.completed_at ? new Date(w.completed_at).getTime() : undefined,
    };
  }
  return out as Required<typeof out>;
}

/** State right after the kill: every parent WAITING, the child mid-attempt, the durations not yet due. */
async function expectMidWait(db: Db, ids: Ids, killedAt: number): Promise<void> {
  const { parents, child } = await statuses(db, ids);
  expect(parents).toEqual({ for: "WAITING", until: "WAITING", token: "WAITING", triggerAndWait: "WAITING" });
  expect(child?.status).toBe("EXECUTING");
  const waits = await durationWaitpoints(db, ids);
  for (const w of Object.values(waits)) {
    expect(w.status).toBe("WAITING");
    expect(w.due).toBeGreaterThan(killedAt); // killed during the wait, not after it
  }
}

/**
 * The outcome, read once every run is final: each parent COMPLETED on attempt 1, started in
 * the killed process and finished in the new one, its step run once, its code before the wait
 * run exactly twice (first execution and one replay), and the duration waits not cut short.
 */
async function expectResumedOnce(
  db: Db,
  ids: Ids,
  file: string,
  pids: { killed: number; resumed: number },
  resumedReadyAt: number,
): Promise<void> {
  const childRow = (await statuses(db, ids)).child!;
  const child = await runs.retrieve(childRow.id);
  expect(child.status).toBe("COMPLETED");
  // The child was mid-attempt when its worker died: that attempt was lost and counted.
  expect(child.attemptCount).toBe(2);
  expect(child.output).toEqual({ doubled: N.triggerAndWait * 10 * 2, pid: pids.resumed });
  expect(
    effects(file)
      .filter((w) => w[0] === "child" && w[1] === childRow.id)
      .map((w) => w[2]),
  ).toEqual(["1", "2"]);

  const finished: Partial<Record<Kind, Run>> = {};
  for (const kind of KINDS) {
    const run = await runs.retrieve(ids[kind]);
    finished[kind] = run;
    expect({ kind, status: run.status, error: run.error }).toEqual({
      kind,
      status: "COMPLETED",
      error: undefined,
    });
    expect(run.attemptCount).toBe(1);
    const out = run.output as Output;
    expect(out).toMatchObject({
      kind,
      value: N[kind] * 10,
      beforePid: pids.killed,
      afterPid: pids.resumed,
    });
    expect({
      kind,
      before: count(file, "before", run.id),
      top: count(file, "top", run.id),
      waiting: count(file, "waiting", run.id),
      after: count(file, "after", run.id),
    }).toEqual({ kind, before: 1, top: 2, waiting: 1, after: 1 });
  }
  const out = (k: Kind) => finished[k]!.output as Output;
  expect(out("for").waited).toBe(WAIT_S);
  expect(out("token").waited).toBe(APPROVER);
  expect(out("triggerAndWait").waited).toEqual({ doubled: N.triggerAndWait * 20, pid: pids.resumed });

  // Not early, measured by the task (its step, just before the wait → the code after it) and
  // by the database (the waitpoint completed no sooner than due, the run finished after that).
  const waits = await durationWaitpoints(db, ids);
  expect(waits.until.due).toBe(new Date(out("until").waited as string).getTime()); // the journaled date
  expect(waits.for.due - waits.for.createdAt).toBe(WAIT_S * 1000);
  for (const kind of ["for", "until"] as const) {
    const w = waits[kind];
    const finishedAt = finished[kind]!.finishedAt!.getTime();
    expect(w.status, kind).toBe("COMPLETED");
    expect(out(kind).waitedMs, `${kind}: ms from the step to after the wait`).toBeGreaterThanOrEqual(
      WAIT_S * 1000,
    );
    expect(w.completedAt!, `${kind}: waitpoint completed at`).toBeGreaterThanOrEqual(w.due);
    expect(finishedAt, `${kind}: run finished at`).toBeGreaterThanOrEqual(w.due);
    // Not hanging either: done soon after it was due and a worker was there to resume it.
    expect(finishedAt - Math.max(w.due, resumedReadyAt), `${kind}: ms late`).toBeLessThan(10_000);
  }
  expect(finished.for!.finishedAt!.getTime() - waits.for.createdAt).toBeGreaterThanOrEqual(WAIT_S * 1000);
}

describe("durable waits survive a SIGKILLed worker: PostgreSQL", () => {
  const store = postgresStore();
  let db: Db;
  let engine: Engine;
  let dir: string;
  const children: Spawned[] = [];

  const worker = postgresWorkers(() => store.schema!, children, TEST_DATABASE_URL);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mainspring-wait-restart-"));
    db = await store.open();
    // Triggers and reads only: the child processes run the work and every maintenance pass.
    engine = await startEngine({ db, worker: false, maintenance: false });
  });

  afterEach(async () => {
    const left = children.splice(0);
    for (const c of left) c.child.kill("SIGKILL");
    await Promise.all(left.map((c) => c.exited));
  });

  afterAll(async () => {
    await engine?.stop();
    await db?.close();
    await store.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("wait.for, wait.until, forToken and triggerAndWait resume once, on time, in the new process", async () => {
    const file = join(dir, "effects.log");
    writeFileSync(file, "");
    const first = await worker({ MAINSPRING_LEASE_MS: KILLED_LEASE_MS });
    const token = await wait.createToken({ timeout: "10m" });
    const ids = await triggerAll(file, token.id);

    await waitFor(
      async () => {
        const { parents, child } = await statuses(db, ids);
        return KINDS.every((k) => parents[k] === "WAITING") && child?.status === "EXECUTING";
      },
      { what: "every run WAITING and the child EXECUTING" },
    );
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;
    await expectMidWait(db, ids, killedAt);

    const second = await worker();
    const secondReadyAt = Date.now();
    await wait.completeToken(token, { approvedBy: APPROVER });
    await waitFor(
      async () => {
        const { parents } = await statuses(db, ids);
        return KINDS.every((k) => parents[k] === "COMPLETED");
      },
      { timeoutMs: 45_000, what: "every run COMPLETED" },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\nresumed worker output:\n${second.output()}`);
    });
    await expectResumedOnce(
      db,
      ids,
      file,
      { killed: first.child.pid!, resumed: second.child.pid! },
      secondReadyAt,
    );
  }, 90_000);
});

describe("durable waits survive a SIGKILLed worker: embedded PGlite", () => {
  let dir: string;
  let engine: Engine | undefined;
  const children: Spawned[] = [];

  const start = async (dataDir: string, env: Record<string, string> = {}) => {
    const spawned = await spawnMainspring(["start"], {
      MAINSPRING_DATA_DIR: dataDir,
      DATABASE_URL: "",
      ...env,
    });
    children.push(spawned);
    return spawned;
  };
  /** The test process's own view of the folder, while no worker holds it. */
  const open = (dataDir: string) => startEngine({ dataDir, worker: false, maintenance: false });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mainspring-wait-restart-"));
  });

  afterEach(async () => {
    const left = children.splice(0);
    for (const c of left) c.child.kill("SIGKILL");
    await Promise.all(left.map((c) => c.exited));
    await engine?.stop();
    engine = undefined;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("wait.for, wait.until, forToken and triggerAndWait resume once, on time, in the new process", async () => {
    const dataDir = join(dir, "data");
    const file = join(dir, "effects.log");
    writeFileSync(file, "");

    engine = await open(dataDir);
    const token = await wait.createToken({ timeout: "10m" });
    const ids = await triggerAll(file, token.id);
    await engine.stop();
    engine = undefined;

    const first = await start(dataDir, { MAINSPRING_LEASE_MS: KILLED_LEASE_MS });
    // Progress comes from the effects file: each parent's onWait, and the child's first attempt.
    await waitFor(
      () =>
        KINDS.every((k) => count(file, "waiting", ids[k]) === 1) &&
        effects(file).some((w) => w[0] === "child"),
      { what: "every run suspended and the child started" },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\nworker output:\n${first.output()}`);
    });
    // onWait runs just before the suspension is written; give it a moment. The check after
    // the kill proves every run was WAITING (and the waits not yet due) when it died.
    await sleep(500);
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;

    engine = await open(dataDir); // the dead process's lock is taken over
    await expectMidWait(engine.db, ids, killedAt);
    // The token is completed while no worker runs (only one process may open the folder):
    // its run is queued to resume, and the next process picks it up.
    await wait.completeToken(token, { approvedBy: APPROVER });
    await engine.stop();
    engine = undefined;

    const second = await start(dataDir);
    const secondReadyAt = Date.now();
    await waitFor(() => KINDS.every((k) => count(file, "after", ids[k]) === 1), {
      timeoutMs: 45_000,
      what: "every run past its wait",
    }).catch((error) => {
      throw new Error(`${(error as Error).message}\nresumed worker output:\n${second.output()}`);
    });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    engine = await open(dataDir);
    await expectResumedOnce(
      engine.db,
      ids,
      file,
      { killed: first.child.pid!, resumed: second.child.pid! },
      secondReadyAt,
    );
  }, 90_000);
});
