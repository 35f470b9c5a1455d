import {
  AbortTaskRunError,
  type ChildOutcome,
  type ChildRequest,
  type CreateTokenOptions,
  type DurableOps,
  FINAL_STATUSES,
  type MainspringConfig,
  MainspringError,
  RunCanceledError,
  type StreamAppendResult,
  type StreamSink,
  WaitpointTimeoutError,
  type WaitToken,
} from "@mainspring/sdk";
import { newId } from "../ids.js";
import type { Limits } from "../limits.js";
import type { ClaimedRow } from "../sql/claim.js";
import { parseStored, type RunRow } from "../sql/rows.js";
import { getRunRows } from "../sql/runs.js";
import type { ChunkWriter } from "../sql/streams.js";
import {
  appendJournal,
  getWaitpoint,
  getWaitpoints,
  insertWaitpoints,
  type JournalEntry,
} from "../sql/waitpoints.js";
import type { Db } from "../store/db.js";
import { insertPreparedIn, prepareRun } from "../triggering.js";

/** Replay reached a durable operation that differs from the journal: the code changed under the run. */
export class NonDeterministicReplayError extends AbortTaskRunError {
  override name = "NonDeterministicReplayError";
}

export interface DurableDeps {
  db: Db;
  config: MainspringConfig;
  limits: Limits;
  /** Creates a token (outside the journal); shared with the engine's public createToken. */
  createToken(options: CreateTokenOptions, tx?: Db): Promise<WaitToken>;
  /** A duration wait was recorded: make sure the maintenance pass looks at it in time. */
  waitScheduled(ms: number): void;
  /** Appends to a stream with the writer's replay identity (StreamService.append). */
  appendStream(
    runId: string,
    streamId: string,
    values: unknown[],
    writer: ChunkWriter,
  ): Promise<StreamAppendResult>;
}

export interface Suspension {
  waitpoints: string[];
  type: "DURATION" | "TOKEN" | "RUN";
}

/**
 * The durable operations of one attempt. Each call takes the next journal position; if the
 * journal already has an entry there (a replay after a wait or a retry), its recorded result
 * is returned, after checking it is the same kind of operation. Otherwise the operation is
 * performed and journaled, fenced by the attempt id. A wait that is not over suspends the
 * attempt: `suspend` tells the executor, and the run function is abandoned (its promise never
 * settles), so a user's try/catch cannot swallow the suspension.
 */
export class DurableRun implements DurableOps {
  private seq = 0;
  /** Stream write calls made in the current segment (the durable operations started so far). */
  private streamSegment = 0;
  private streamCalls = 0;

  constructor(
    private readonly row: ClaimedRow,
    private readonly journal: JournalEntry[],
    private readonly deps: DurableDeps,
    private readonly suspend: (s: Suspension) => Promise<never>,
  ) {}

  private get owner() {
    return { id: this.row.id, attempt_id: this.row.attempt_id! };
  }

  private next(kind: string, key: string): { seq: number; entry?: JournalEntry } {
    const seq = this.seq++;
    const entry = this.journal[seq];
    if (entry && (entry.kind !== kind || entry.key !== key)) {
      throw new NonDeterministicReplayError(
        `Replay diverged from the journal at step ${seq}: the run recorded ${entry.kind}("${entry.key}") ` +
          `but the code now calls ${kind}("${key}"). Code between waits must call durable operations in the same order.`,
      );
    }
    return { seq, entry };
  }

  private async record(
    seq: number,
    kind: string,
    key: string,
    data?: unknown,
    result?: string | null,
    db: Db = this.deps.db,
  ) {
    if (!(await appendJournal(db, this.owner, { seq, kind, key, data, result })))
      throw new RunCanceledError();
  }

  async waitUntil(at: { date: Date } | { ms: number }): Promise<void> {
    const { seq, entry } = this.next("wait", "duration");
    let waitpoint = (entry?.data as { waitpoint?: string | null } | undefined)?.waitpoint;
    if (!entry) {
      const ms = "ms" in at ? at.ms : at.date.getTime() - Date.now();
      if (ms <= 0) {
        await this.record(seq, "wait", "duration", { waitpoint: null });
        return;
      }
      waitpoint = newId("waitpoint");
      await this.deps.db.transaction(async (tx) => {
        await insertWaitpoints(tx, [
          {
            id: waitpoint!,
            type: "DURATION",
            ...("ms" in at ? { after_ms: at.ms } : { at: at.date.toISOString() }),
          },
        ]);
        await this.record(seq, "wait", "duration", { waitpoint }, null, tx as Db);
      });
      this.deps.waitScheduled(ms);
      return this.suspend({ waitpoints: [waitpoint], type: "DURATION" });
    }
    if (!waitpoint) return;
    const wp = await getWaitpoint(this.deps.db, waitpoint);
    if (wp?.status === "WAITING") return this.suspend({ waitpoints: [waitpoint], type: "DURATION" });
  }

  async createToken(options: CreateTokenOptions): Promise<WaitToken> {
    const { seq, entry } = this.next("createToken", "token");
    if (entry) return entry.data as WaitToken;
    const token = await this.deps.createToken(options);
    await this.record(seq, "createToken", "token", token);
    return token;
  }

  async waitForToken(tokenId: string): Promise<{ ok: true; output: unknown } | { ok: false; error: Error }> {
    const { seq, entry } = this.next("waitForToken", tokenId);
    const wp = await getWaitpoint(this.deps.db, tokenId);
    if (wp?.type !== "TOKEN") {
      throw new MainspringError("WAITPOINT_NOT_FOUND", `Wait token "${tokenId}" does not exist`);
    }
    if (!entry) await this.record(seq, "waitForToken", tokenId);
    if (wp.status === "COMPLETED") return { ok: true, output: parseStored(wp.output, wp.output_type) };
    if (wp.status === "TIMED_OUT") {
      return { ok: false, error: new WaitpointTimeoutError(`Wait token ${tokenId} timed out`) };
    }
    return this.suspend({ waitpoints: [tokenId], type: "TOKEN" });
  }

  async triggerAndWait(
    children: ChildRequest[],
    batch: boolean,
  ): Promise<{ batchId?: string; runs: ChildOutcome[] }> {
    if (children.length === 0)
      throw new MainspringError("INVALID_OPTIONS", "A batch needs at least one item");
    if (children.length > this.deps.limits.maxBatchSize) {
      throw new MainspringError(
        "BATCH_TOO_LARGE",
        `A batch can have at most ${this.deps.limits.maxBatchSize} items; this one has ${children.length}`,
      );
    }
    const key = [...new Set(children.map((c) => c.task))].join(",");
    const { seq, entry } = this.next(batch ? "batchTriggerAndWait" : "triggerAndWait", key);
    type Data = { batchId?: string; children: Array<{ runId: string; waitpoint: string }> };
    let data = entry?.data as Data | undefined;
    if (!data) {
      const batchId = batch ? newId("batch") : undefined;
      const prepared = children.map((child, index) => {
        const p = prepareRun(child.task, child.payload, child.options, {
          config: this.deps.config,
          limits: this.deps.limits,
          batchId,
          where: batch ? `in batch item ${index} ("${child.task}")` : `for "${child.task}"`,
        });
        p.run.resume_parent = true;
        return p;
      });
      const created = await this.deps.db.transaction(async (tx) => {
        // The parent's row first, as cancel and rescue lock it before any counter row: the
        // children's counter upserts come after, so the two orders cannot deadlock.
        const owner = await tx.query(
          "select 1 from ms_runs where id = $1 and attempt_id = $2 and status = 'EXECUTING' for update",
          [this.row.id, this.row.attempt_id],
        );
        if (owner.rows.length === 0) throw new RunCanceledError();
        const handles = await insertPreparedIn(tx, prepared, batchId);
        const points = handles.map((h) => ({ runId: h.id, waitpoint: newId("waitpoint") }));
        await insertWaitpoints(
          tx,
          points.map((p) => ({ id: p.waitpoint, type: "RUN" as const, run_id: p.runId })),
        );
        const d: Data = { batchId, children: points };
        await this.record(seq, batch ? "batchTriggerAndWait" : "triggerAndWait", key, d, null, tx as Db);
        return d;
      });
      data = created;
    }
    const rows = new Map(
      (
        await getRunRows(
          this.deps.db,
          data.children.map((c) => c.runId),
        )
      ).map((r) => [r.id, r]),
    );
    const pending = data.children.filter((c) => !isFinal(rows.get(c.runId)));
    if (pending.length > 0) {
      // Only waitpoints still open block the run; ones the sweep already closed do not.
      const open = (
        await getWaitpoints(
          this.deps.db,
          pending.map((c) => c.waitpoint),
        )
      )
        .filter((w) => w.status === "WAITING")
        .map((w) => w.id);
      if (open.length > 0) return this.suspend({ waitpoints: open, type: "RUN" });
    }
    return { batchId: data.batchId, runs: data.children.map((c) => outcome(rows.get(c.runId)!)) };
  }

  async step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const { seq, entry } = this.next("step", name);
    if (entry) return (entry.result === null ? undefined : JSON.parse(entry.result)) as T;
    const value = await fn();
    await this.record(seq, "step", name, undefined, value === undefined ? null : JSON.stringify(value));
    return value;
  }

  /**
   * Stream writes are not journaled (a stream of 10,000 chunks would be 10,000 entries).
   * Each write call gets an identity a replay reproduces: the segment (durable operations
   * started before the call) and the call's number in that segment; each chunk has its place
   * in the call. The engine counts the chunks each call stored and skips that many when the
   * call is replayed, so code replayed after a wait re-appends nothing, while chunks past the
   * stored ones (a pipe the suspension cut short) are still added. Retries: see APPEND in
   * sql/streams.ts.
   */
  openStream(runId: string, streamId: string): StreamSink {
    if (this.streamSegment !== this.seq) {
      this.streamSegment = this.seq;
      this.streamCalls = 0;
    }
    const writer = {
      runId: this.row.id,
      attemptId: this.row.attempt_id!,
      attempt: this.row.attempt_number,
      segment: this.seq,
      call: this.streamCalls++,
      sealed: this.seq < this.journal.length,
    };
    let n = 0;
    return {
      write: async (values) => {
        const firstN = n;
        n += values.length;
        const result = await this.deps.appendStream(runId, streamId, values, { ...writer, firstN });
        return result.lastIndex;
      },
    };
  }
}

const FINAL = new Set<string>(FINAL_STATUSES);

function isFinal(row: RunRow | undefined): boolean {
  return row !== undefined && FINAL.has(row.status);
}

function outcome(row: RunRow): ChildOutcome {
  if (row.status === "COMPLETED") {
    return {
      ok: true,
      id: row.id,
      taskIdentifier: row.task_id,
      output: parseStored(row.output, row.output_type),
    };
  }
  const error = Object.assign(new Error(row.error?.message ?? `Run ended ${row.status}`), {
    name: row.error?.name ?? row.status,
    status: row.status,
  });
  return { ok: false, id: row.id, taskIdentifier: row.task_id, error };
}
