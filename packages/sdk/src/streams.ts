import { MainspringError } from "./errors.js";
import { currentRun, type RunScope, type StreamSink } from "./run-scope.js";
import { getRuntime } from "./runtime.js";

/**
 * Streams (Trigger.dev v4.1+ `streams.define`): a run appends typed chunks to a named stream,
 * and anyone reads them, live while the run executes and in full after it finished. Chunks
 * are stored in order in the engine's database with a dense index from 0; see
 * docs/task-api.md#streams and docs/limits.md for the limits.
 */

/** A `ReadableStream` that is also an `AsyncIterable` (Trigger.dev's AsyncIterableStream). */
export type AsyncIterableStream<T> = AsyncIterable<T> & ReadableStream<T>;

/** `lastEventId`: the index of the last chunk written, as a string (Trigger.dev's field). */
export interface StreamWriteResult {
  lastEventId?: string;
}

export interface PipeStreamResult<T> {
  /** The piped values, to consume in the task as well (a tee of the source). */
  stream: AsyncIterableStream<T>;
  /** Resolves when every chunk is stored; rejects with the write's error. */
  waitUntilComplete(): Promise<StreamWriteResult>;
}

/** `target`: `"self"` (default), `"parent"`, `"root"` or a run id. */
export interface AppendStreamOptions {
  target?: string;
}

export interface PipeStreamOptions extends AppendStreamOptions {
  /** Stops reading the source; chunks already read are still stored. */
  signal?: AbortSignal;
}

export interface WriterStreamOptions<T> extends PipeStreamOptions {
  execute(writer: { write(part: T): void; merge(stream: ReadableStream<T>): void }): Promise<void> | void;
}

export interface ReadStreamOptions {
  /** Index of the first chunk to deliver (chunks are numbered from 0). Default 0. */
  startIndex?: number;
  /** Close the stream when no chunk arrives for this long. Default 60. */
  timeoutInSeconds?: number;
  signal?: AbortSignal;
}

/** One stored chunk, as `TaskRuntime.readStream` yields it. */
export interface StreamRecord {
  /** Position in the stream, from 0 with no gaps: an SSE event id. */
  index: number;
  value: unknown;
}

export interface StreamReadOptions {
  /** First index to deliver (resume with `lastEventId + 1`). Default 0. */
  from?: number;
  signal?: AbortSignal;
}

export interface StreamAppendResult {
  /** Index of the last chunk of this call (stored now, or earlier for a replayed write). */
  lastIndex?: number;
}

export interface RealtimeDefinedStream<T> {
  id: string;
  /** Appends one chunk. */
  append(value: T, options?: AppendStreamOptions): Promise<void>;
  /** Appends every value of `source` as it arrives. */
  pipe(source: AsyncIterable<T> | ReadableStream<T>, options?: PipeStreamOptions): PipeStreamResult<T>;
  /** Appends what `execute` writes, and the streams it merges. */
  writer(options: WriterStreamOptions<T>): PipeStreamResult<T>;
  /** Reads a run's stream: stored chunks first, then live ones; ends when the run finished. */
  read(runId: string, options?: ReadStreamOptions): Promise<AsyncIterableStream<T>>;
}

export type InferStreamType<S> = S extends RealtimeDefinedStream<infer T> ? T : unknown;

/** Stream ids: 1 to 128 characters, letters, digits and `_ - . :`, starting with a letter or digit. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Values written per statement by a pipe (further values wait for the next batch). */
const WRITE_BATCH = 500;
/** A pipe stops reading its source while this many values wait to be written. */
const MAX_PENDING = 5000;

function resolveTarget(target: string | undefined, scope: RunScope | undefined, what: string): string {
  const t = target ?? "self";
  if (t !== "self" && t !== "parent" && t !== "root") return t;
  if (!scope) {
    throw new MainspringError(
      "NOT_IN_RUN",
      `${what}: target "${t}" only exists inside a run; outside one, pass a run id as \`target\``,
    );
  }
  const run = scope.ctx.run;
  // As Trigger.dev: a run without a parent (or root) writes to itself.
  if (t === "parent") return run.parentTaskRunId ?? run.id;
  if (t === "root") return run.rootTaskRunId ?? run.id;
  return run.id;
}

function openSink(streamId: string, target: string | undefined, what: string): StreamSink {
  const scope = currentRun();
  const runId = resolveTarget(target, scope, what);
  if (scope) return scope.durable.openStream(runId, streamId);
  return {
    write: async (values) => (await getRuntime().appendStream(runId, streamId, values)).lastIndex,
  };
}

function track<T>(promise: Promise<T>, streamId: string): Promise<T> {
  promise.catch(() => {}); // observed by waitUntilComplete, or logged by the executor
  currentRun()?.trackStreamWrite(promise, streamId);
  return promise;
}

/** Reads values one at a time from either kind of source. */
function openSource<T>(source: AsyncIterable<T> | ReadableStream<T>): {
  next(): Promise<IteratorResult<T>>;
  cancel(reason?: unknown): Promise<void>;
} {
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<T>>,
      cancel: (reason) => reader.cancel(reason).catch(() => {}),
    };
  }
  const iterator = source[Symbol.asyncIterator]();
  return {
    next: () => iterator.next(),
    cancel: async (reason) => {
      await iterator.return?.(reason)?.catch?.(() => {});
    },
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads `source`, hands every value to `local` (the stream the caller consumes) and writes
 * it through `sink`: one write in flight, the values read meanwhile go in the next one. Each
 * write waits one event-loop turn first, so a fast producer fills the batch (with an
 * in-process store, queries and producer otherwise alternate one step at a time).
 */
async function pump<T>(
  source: AsyncIterable<T> | ReadableStream<T>,
  local: ReadableStreamDefaultController<T> | undefined,
  sink: StreamSink,
  signal: AbortSignal | undefined,
): Promise<StreamWriteResult> {
  const input = openSource(source);
  let pending: unknown[] = [];
  let writing: Promise<void> | undefined;
  let writeFailure: { error: unknown } | undefined;
  let sourceFailure: { error: unknown } | undefined;
  let lastIndex: number | undefined;
  let halted = false;
  // Stops reading: a pending read of a ReadableStream ends at once; an async iterator is
  // returned once its pending value arrives.
  const halt = (reason: unknown) => {
    if (halted) return;
    halted = true;
    void input.cancel(reason);
  };
  const drain = (): Promise<void> => {
    writing ??= (async () => {
      try {
        while (pending.length > 0 && !writeFailure) {
          await nextTurn();
          const batch = pending.slice(0, WRITE_BATCH);
          pending = pending.slice(batch.length);
          const last = await sink.write(batch);
          if (last !== undefined) lastIndex = last;
        }
      } catch (error) {
        writeFailure = { error };
        halt(error);
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };
  const onAbort = () => halt(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let localOpen = local !== undefined;
  const toLocal = (fn: (c: ReadableStreamDefaultController<T>) => void) => {
    if (!localOpen) return;
    try {
      fn(local!);
    } catch {
      localOpen = false; // the caller canceled its copy
    }
  };
  try {
    if (signal?.aborted) halt(signal.reason);
    while (!halted) {
      let next: IteratorResult<T>;
      try {
        next = await input.next();
      } catch (error) {
        if (!halted) sourceFailure = { error };
        break;
      }
      if (next.done || halted) break;
      toLocal((c) => c.enqueue(next.value));
      pending.push(next.value);
      void drain();
      if (pending.length >= MAX_PENDING) await writing;
    }
    // What was read before the end (or an error of the source) is still written.
    while (!writeFailure && (writing || pending.length > 0)) await drain();
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (sourceFailure) toLocal((c) => c.error(sourceFailure!.error));
    else toLocal((c) => c.close());
  }
  if (writeFailure) throw writeFailure.error;
  if (sourceFailure) throw sourceFailure.error;
  return lastIndex === undefined ? {} : { lastEventId: String(lastIndex) };
}

function pipeTo<T>(
  streamId: string,
  source: AsyncIterable<T> | ReadableStream<T>,
  options: PipeStreamOptions | undefined,
  what: string,
): PipeStreamResult<T> {
  const sink = openSink(streamId, options?.target, what);
  let local: ReadableStreamDefaultController<T> | undefined;
  const stream = new ReadableStream<T>({
    start(c) {
      local = c;
    },
  });
  const done = track(pump(source, local, sink, options?.signal), streamId);
  return { stream: stream as AsyncIterableStream<T>, waitUntilComplete: () => done };
}

function writerStream<T>(options: WriterStreamOptions<T>): ReadableStream<T> {
  let controller!: ReadableStreamDefaultController<T>;
  const stream = new ReadableStream<T>({
    start(c) {
      controller = c;
    },
  });
  const tasks: Promise<void>[] = [];
  const enqueue = (part: T) => {
    try {
      controller.enqueue(part);
    } catch {
      // the stream already ended (a write after execute settled, or after an error)
    }
  };
  const run = async () => {
    await options.execute({
      write: enqueue,
      merge(merged) {
        tasks.push(
          (async () => {
            const reader = merged.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return;
              enqueue(value);
            }
          })(),
        );
      },
    });
    // merges may start more merges while they run
    while (tasks.length > 0) await tasks.shift();
  };
  run().then(
    () => {
      try {
        controller.close();
      } catch {
        // already closed
      }
    },
    (error) => {
      try {
        controller.error(error);
      } catch {
        // already closed
      }
    },
  );
  return stream;
}

/** Defines a typed stream; use it in tasks to write and anywhere to read. */
function define<T>(options: { id: string }): RealtimeDefinedStream<T> {
  const id = options?.id;
  if (typeof id !== "string" || !STREAM_ID_PATTERN.test(id)) {
    throw new MainspringError(
      "CONFIG_INVALID",
      `streams.define: id "${id}" is not valid: 1 to 128 characters, letters, digits and _ - . : ` +
        "(starting with a letter or digit)",
    );
  }
  return {
    id,
    async append(value, appendOptions) {
      const sink = openSink(id, appendOptions?.target, `stream "${id}".append()`);
      await track(sink.write([value]), id);
    },
    pipe(source, pipeOptions) {
      return pipeTo(id, source, pipeOptions, `stream "${id}".pipe()`);
    },
    writer(writerOptions) {
      return pipeTo(id, writerStream(writerOptions), writerOptions, `stream "${id}".writer()`);
    },
    async read(runId, readOptions = {}) {
      const runtime = getRuntime();
      const controller = new AbortController();
      const signal = readOptions.signal;
      const stop = () => controller.abort(signal?.reason);
      if (signal?.aborted) stop();
      else signal?.addEventListener("abort", stop, { once: true });
      const idleMs = (readOptions.timeoutInSeconds ?? 60) * 1000;
      const iterator = runtime
        .readStream(runId, id, { from: readOptions.startIndex ?? 0, signal: controller.signal })
        [Symbol.asyncIterator]();
      const finish = () => {
        signal?.removeEventListener("abort", stop);
        controller.abort();
      };
      return new ReadableStream<T>({
        async pull(c) {
          // the idle timeout runs only while we wait for the next chunk, not while the consumer is busy
          const timer = setTimeout(() => controller.abort(), idleMs);
          let next: IteratorResult<StreamRecord>;
          try {
            next = await iterator.next();
          } catch (error) {
            finish();
            throw error;
          } finally {
            clearTimeout(timer);
          }
          if (next.done) {
            finish();
            c.close();
          } else c.enqueue(next.value.value as T);
        },
        async cancel() {
          finish();
          await iterator.return?.();
        },
      }) as AsyncIterableStream<T>;
    },
  };
}

/** Trigger.dev's `streams` (v4.1+ API): `streams.define<T>({ id })`. */
export const streams = { define };
