import {
  FINAL_STATUSES,
  MainspringError,
  RunCanceledError,
  STREAM_ID_PATTERN,
  type StreamAppendResult,
  type StreamReadOptions,
  type StreamRecord,
} from "@mainspring/sdk";
import type { Limits } from "./limits.js";
import {
  appendChunks,
  type ChunkWriter,
  createStream,
  finishedRunIds,
  listStreamRows,
  readChunks,
  STREAM_CHANNEL,
} from "./sql/streams.js";
import type { Db } from "./store/db.js";

export type { ChunkWriter } from "./sql/streams.js";

/** A run's stream as `engine.listStreams(runId)` returns it. */
export interface StreamInfo {
  id: string;
  /** Chunks stored; the next chunk's index. */
  length: number;
  /** Sum of the chunks' sizes (UTF-8 JSON). */
  bytes: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StreamServiceOptions {
  /** How often readers waiting on a run check whether it finished. Default 500 ms. */
  pollIntervalMs?: number;
  /** Chunks fetched per read statement. Default 1,000. */
  readBatch?: number;
}

const FINAL = new Set<string>(FINAL_STATUSES);

/** Readers waiting for a stream: woken by appends (NOTIFY or local), run ends, and a slow poll. */
interface Waiter {
  runId: string;
  wake: () => void;
}

/**
 * Streams: appends (replay-safe for writes from runs), reads that deliver stored chunks then
 * live ones and end with the run, and the list of a run's streams.
 *
 * Wake-ups: an append wakes the readers of its stream at once, through NOTIFY from any process
 * and directly in this one. A run reaching a final status has no notification; a shared
 * poll (one statement for all waiting readers) ends their reads within `pollIntervalMs`, and
 * runs finished by this process's worker wake their readers at once.
 */
export class StreamService {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private listening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private poller: NodeJS.Timeout | undefined;
  private ticks = 0;
  private stopped = false;
  private readonly pollIntervalMs: number;
  private readonly readBatch: number;

  constructor(
    private readonly db: Db,
    private readonly limits: Limits,
    private readonly onError: (error: unknown, where: string) => void,
    options: StreamServiceOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.readBatch = options.readBatch ?? 1000;
  }

  private checkId(streamId: string): void {
    if (typeof streamId !== "string" || !STREAM_ID_PATTERN.test(streamId)) {
      throw new MainspringError(
        "INVALID_OPTIONS",
        `Stream id "${streamId}" is not valid: 1 to 128 characters, letters, digits and _ - . : ` +
          "(starting with a letter or digit)",
      );
    }
  }

  /**
   * Appends `values` to run `runId`'s stream `streamId` in order. With `writer` (a write from
   * inside a run), chunks a replay already stored are skipped, and the write is fenced: a
   * writer that no longer owns its run gets RunCanceledError. Chunks before an oversize one,
   * or before a limit is reached, are stored; then the error is thrown.
   */
  async append(
    runId: string,
    streamId: string,
    values: unknown[],
    writer?: ChunkWriter,
  ): Promise<StreamAppendResult> {
    this.checkId(streamId);
    const data: string[] = [];
    let tooLarge: MainspringError | undefined;
    for (const [i, value] of values.entries()) {
      const json = JSON.stringify(value) ?? "null";
      const bytes = Buffer.byteLength(json);
      if (bytes > this.limits.maxStreamChunkBytes) {
        tooLarge = new MainspringError(
          "STREAM_CHUNK_TOO_LARGE",
          `Chunk ${i} for stream "${streamId}" of run ${runId} is ${bytes} bytes; the limit is ${this.limits.maxStreamChunkBytes}`,
        );
        break;
      }
      data.push(json);
    }
    const result = data.length === 0 ? {} : await this.insert(runId, streamId, data, writer);
    if (tooLarge) throw tooLarge;
    return result;
  }

  private async insert(
    runId: string,
    streamId: string,
    data: string[],
    writer: ChunkWriter | undefined,
  ): Promise<StreamAppendResult> {
    const append = () =>
      appendChunks(this.db, {
        runId,
        streamId,
        data,
        writer,
        maxChunks: this.limits.maxStreamChunks,
        maxBytes: this.limits.maxStreamBytes,
      });
    let outcome = await append();
    for (let created = false; ; created = true) {
      if (outcome.status === undefined)
        throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
      if (!outcome.owner) throw new RunCanceledError();
      if (FINAL.has(outcome.status)) {
        throw new MainspringError(
          "STREAM_CLOSED",
          `Run ${runId} is ${outcome.status}: its streams are complete and take no more chunks`,
        );
      }
      if (outcome.stream || created) break;
      // The first write to this stream: create its row (within the per-run limit), then append.
      if ((await createStream(this.db, runId, streamId, this.limits.maxStreamsPerRun)) === "limit") {
        throw new MainspringError(
          "STREAM_LIMIT",
          `Run ${runId} already has ${this.limits.maxStreamsPerRun} streams; cannot create "${streamId}"`,
        );
      }
      outcome = await append();
    }
    if (outcome.inserted > 0) this.wakeStream(runId, streamId);
    if (outcome.inserted < outcome.fresh) {
      throw new MainspringError(
        "STREAM_LIMIT",
        `Stream "${streamId}" of run ${runId} is full: at most ${this.limits.maxStreamChunks} chunks and ` +
          `${this.limits.maxStreamBytes} bytes; ${outcome.fresh - outcome.inserted} chunk(s) not stored`,
      );
    }
    const last = outcome.lastSeq ?? outcome.lastExisting;
    return last === null ? {} : { lastIndex: last };
  }

  /**
   * Chunks of a stream from index `from` (default 0): everything stored, then live chunks as
   * they are appended. Ends once the run is in a final status and every chunk was delivered,
   * when `signal` aborts, or when the engine stops. RUN_NOT_FOUND if the run does not exist.
   * Resume an SSE connection with `{ from: Number(lastEventId) + 1 }`.
   */
  async *read(
    runId: string,
    streamId: string,
    options: StreamReadOptions = {},
  ): AsyncGenerator<StreamRecord> {
    this.checkId(streamId);
    const { signal } = options;
    let next = Math.max(0, Math.floor(options.from ?? 0));
    await this.listen();
    const key = streamKey(runId, streamId);
    let woken = false;
    let resolveWake: (() => void) | undefined;
    const waiter: Waiter = {
      runId,
      wake: () => {
        woken = true;
        resolveWake?.();
      },
    };
    const onAbort = () => waiter.wake();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.addWaiter(key, waiter);
    try {
      while (!signal?.aborted && !this.stopped) {
        woken = false;
        const { status, chunks } = await readChunks(this.db, runId, streamId, next, this.readBatch);
        if (status === undefined) throw new MainspringError("RUN_NOT_FOUND", `Run "${runId}" does not exist`);
        for (const chunk of chunks) {
          if (signal?.aborted || this.stopped) return;
          yield { index: chunk.seq, value: JSON.parse(chunk.data) };
          next = chunk.seq + 1;
        }
        if (chunks.length > 0) continue;
        if (FINAL.has(status)) return;
        // A wake-up that arrived while we were reading means: read again at once.
        if (!woken) {
          await new Promise<void>((resolve) => {
            resolveWake = resolve;
          });
          resolveWake = undefined;
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.removeWaiter(key, waiter);
    }
  }

  async list(runId: string): Promise<StreamInfo[]> {
    const rows = await listStreamRows(this.db, runId);
    return rows.map((r) => ({
      id: r.stream_id,
      length: Number(r.length),
      bytes: Number(r.bytes),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** Runs this process saw finish: their readers deliver what is left and end now. */
  runsFinished(runIds: string[]): void {
    if (this.waiters.size === 0) return;
    const ids = new Set(runIds);
    for (const set of this.waiters.values()) for (const w of set) if (ids.has(w.runId)) w.wake();
  }

  /** Ends every read in progress and stops listening (before the store closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.poller = undefined;
    for (const set of this.waiters.values()) for (const w of set) w.wake();
    await this.listening?.catch(() => {});
    await this.unlisten?.().catch(() => {});
  }

  private listen(): Promise<void> {
    this.listening ??= this.db
      .listen(STREAM_CHANNEL, (payload) => {
        const space = payload.indexOf(" ");
        if (space > 0) this.wakeKey(streamKey(payload.slice(0, space), payload.slice(space + 1)));
      })
      .then((unlisten) => {
        this.unlisten = unlisten;
      });
    return this.listening.catch((error) => {
      // Without notifications, readers still advance on the poll.
      this.listening = undefined;
      this.onError(error, "stream listen");
    });
  }

  private wakeStream(runId: string, streamId: string): void {
    this.wakeKey(streamKey(runId, streamId));
  }

  private wakeKey(key: string): void {
    for (const w of this.waiters.get(key) ?? []) w.wake();
  }

  private addWaiter(key: string, waiter: Waiter): void {
    let set = this.waiters.get(key);
    if (!set) {
      set = new Set();
      this.waiters.set(key, set);
    }
    set.add(waiter);
    if (!this.poller && !this.stopped) {
      this.poller = setInterval(() => {
        this.poll().catch((error) => this.onError(error, "stream poll"));
      }, this.pollIntervalMs);
      this.poller.unref();
    }
  }

  private removeWaiter(key: string, waiter: Waiter): void {
    const set = this.waiters.get(key);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(key);
    if (this.waiters.size === 0 && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  /**
   * One statement for every waiting reader: readers of runs that finished are woken. Every
   * tenth tick wakes all readers, in case a notification was lost (a listener reconnecting).
   */
  private async poll(): Promise<void> {
    if (this.waiters.size === 0) return;
    const all = [...this.waiters.values()].flatMap((set) => [...set]);
    if (++this.ticks % 10 === 0) {
      for (const w of all) w.wake();
      return;
    }
    const finished = new Set(await finishedRunIds(this.db, [...new Set(all.map((w) => w.runId))]));
    for (const w of all) if (finished.has(w.runId)) w.wake();
  }
}

const streamKey = (runId: string, streamId: string) => `${runId} ${streamId}`;
