import type { RealtimeDefinedStream } from "@mainspring/sdk";
import { useCallback, useEffect, useRef, useState } from "react";
import { isAbortError, subscribe } from "./client.js";
import { missingTokenError, type UseApiClientOptions, useApiConfig } from "./context.js";
import {
  type AnyTask,
  type InferStreamPart,
  isFinalRun,
  type RealtimeRun,
  reviveRun,
  type StreamDescriptor,
} from "./types.js";

/**
 * Realtime hooks with `@trigger.dev/react-hooks`' signatures, over Mainspring's SSE endpoints:
 * `/api/v1/realtime/runs/:id`, `/runs?tags=`, `/batches/:id` (`event: run`, a full snapshot
 * each time) and `/streams/:runId/:streamId` (`event: chunk` with `id: <index>`, then
 * `event: end`). Each subscription reconnects by itself after a network failure; streams
 * resume after the last chunk received (`Last-Event-ID`), so no part is lost or repeated.
 */

export type UseRealtimeRunOptions = UseApiClientOptions & {
  /** Accepted for compatibility; state is per hook instance here (Trigger.dev shares it by id). */
  id?: string;
  /** Accepted for compatibility: run events are not throttled. */
  throttleInMs?: number;
};

export type UseRealtimeSingleRunOptions<TTask extends AnyTask = AnyTask> = UseRealtimeRunOptions & {
  /** Called once when the run finished, the subscription failed, or it was stopped. */
  onComplete?: (run: RealtimeRun<TTask>, err?: Error) => void;
  /** Default true. The server ends a run's stream once the run is final in any case. */
  stopOnCompletion?: boolean;
  /** Accepted for compatibility; every column is sent. */
  skipColumns?: string[];
};

export interface UseRealtimeRunInstance<TTask extends AnyTask = AnyTask> {
  run: RealtimeRun<TTask> | undefined;
  error: Error | undefined;
  /** Ends the subscription now. */
  stop: () => void;
}

export interface UseRealtimeRunsInstance<TTask extends AnyTask = AnyTask> {
  runs: RealtimeRun<TTask>[];
  error: Error | undefined;
  stop: () => void;
}

export type UseRealtimeRunsWithTagOptions = UseRealtimeRunOptions & {
  /** Only runs created within this long before subscribing: "10s", "30m", "1h", "1d", "1w". */
  createdAt?: string;
  skipColumns?: string[];
};

export type UseRealtimeStreamOptions<TPart> = UseApiClientOptions & {
  id?: string;
  /** Batches re-renders: at most one per this many milliseconds. Default 16. */
  throttleInMs?: number;
  /** Stops (quietly) when no chunk arrives for this long. Default 60. */
  timeoutInSeconds?: number;
  /** The index of the first chunk wanted (chunks are numbered from 0). Default 0. */
  startIndex?: number;
  /** Called for every chunk as it arrives. */
  onData?: (part: TPart) => void;
};

export interface UseRealtimeStreamInstance<TPart> {
  /** Every chunk received so far, in order. */
  parts: TPart[];
  /** The same array as `parts` (the name the seed app's code reads). */
  data: TPart[];
  error: Error | undefined;
  stop: () => void;
}

/** The stream `useRealtimeStream(runId, options)` reads: Trigger.dev's default stream key. */
export const DEFAULT_STREAM_KEY = "default";

/** The latest value without making it an effect dependency (callbacks passed inline). */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  useEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** A subscription's abort controller, with the `stop` the hooks return. */
function useStopper() {
  const ref = useRef<AbortController | null>(null);
  const stop = useCallback(() => {
    ref.current?.abort();
    ref.current = null;
  }, []);
  const start = useCallback(() => {
    ref.current?.abort();
    const controller = new AbortController();
    ref.current = controller;
    return controller;
  }, []);
  return { stop, start };
}

const toError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Subscribes to one run: `run` is its latest state, live until it finishes.
 *
 * `const { run, error, stop } = useRealtimeRun<typeof myTask>(runId, { accessToken });`
 */
export function useRealtimeRun<TTask extends AnyTask = AnyTask>(
  runId?: string,
  options?: UseRealtimeSingleRunOptions<TTask>,
): UseRealtimeRunInstance<TTask> {
  const config = useApiConfig(options);
  const [run, setRun] = useState<RealtimeRun<TTask>>();
  const [error, setError] = useState<Error>();
  const { stop, start } = useStopper();
  const onComplete = useLatest(options?.onComplete);
  const enabled = options?.enabled !== false;
  const stopOnCompletion = options?.stopOnCompletion !== false;

  useEffect(() => {
    if (!enabled || !runId) return;
    setRun(undefined);
    setError(undefined);
    if (!config) {
      setError(missingTokenError("useRealtimeRun"));
      return;
    }
    const controller = start();
    let latest: RealtimeRun<TTask> | undefined;
    let completed = false;
    let disposed = false;
    const complete = (err?: Error) => {
      if (completed || disposed || !latest) return;
      completed = true;
      onComplete.current?.(latest, err);
    };
    subscribe({
      config,
      path: `/api/v1/realtime/runs/${encodeURIComponent(runId)}`,
      signal: controller.signal,
      onEvent(event) {
        if (event.event !== "run") return undefined;
        latest = reviveRun<TTask>(JSON.parse(event.data));
        setRun(latest);
        if (isFinalRun(latest)) {
          complete();
          if (stopOnCompletion) return "stop";
        }
        return undefined;
      },
      endedNormally: () => latest !== undefined && isFinalRun(latest),
    }).then(
      () => complete(),
      (err: unknown) => {
        if (disposed || (isAbortError(err) && controller.signal.aborted)) return;
        setError(toError(err));
        complete(toError(err));
      },
    );
    return () => {
      disposed = true;
      controller.abort();
    };
  }, [runId, enabled, config, stopOnCompletion, start, onComplete]);

  return { run, error, stop };
}

/** Replaces a run by id, or inserts it ordered by `createdAt`, then id (ids grow with time). */
function upsertRun<T extends RealtimeRun<AnyTask>>(runs: T[], run: T): T[] {
  const at = runs.findIndex((r) => r.id === run.id);
  if (at >= 0) return runs.map((r, i) => (i === at ? run : r));
  const created = run.createdAt.getTime();
  const later = runs.findIndex((r) => {
    const t = r.createdAt.getTime();
    return t > created || (t === created && r.id > run.id);
  });
  return later < 0 ? [...runs, run] : [...runs.slice(0, later), run, ...runs.slice(later)];
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

function parseSince(createdAt: string | undefined): number | undefined {
  if (!createdAt) return undefined;
  const m = DURATION.exec(createdAt.trim());
  if (!m) throw new Error(`createdAt: "${createdAt}" is not a duration like "10s", "30m", "1h", "1d", "1w"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Shared by the tag and batch hooks: a list of runs kept current from `event: run`. */
function useRunList<TTask extends AnyTask>(
  hook: string,
  key: string | undefined,
  path: string,
  options: UseRealtimeRunsWithTagOptions | undefined,
  isDone: ((runs: RealtimeRun<TTask>[]) => boolean) | undefined,
): UseRealtimeRunsInstance<TTask> {
  const config = useApiConfig(options);
  const [runs, setRuns] = useState<RealtimeRun<TTask>[]>([]);
  const [error, setError] = useState<Error>();
  const { stop, start } = useStopper();
  const enabled = options?.enabled !== false;
  const createdAt = options?.createdAt;
  const done = useLatest(isDone);

  useEffect(() => {
    if (!enabled || !key) return;
    setRuns([]);
    setError(undefined);
    if (!config) {
      setError(missingTokenError(hook));
      return;
    }
    let since: number | undefined;
    try {
      const window = parseSince(createdAt);
      since = window === undefined ? undefined : Date.now() - window;
    } catch (err) {
      setError(toError(err));
      return;
    }
    const controller = start();
    let disposed = false;
    let current: RealtimeRun<TTask>[] = [];
    subscribe({
      config,
      path,
      signal: controller.signal,
      onEvent(event) {
        if (event.event !== "run") return undefined;
        const run = reviveRun<TTask>(JSON.parse(event.data));
        if (since !== undefined && run.createdAt.getTime() < since) return undefined;
        current = upsertRun(current, run);
        setRuns(current);
        return undefined;
      },
      endedNormally: () => done.current?.(current) ?? false,
    }).catch((err: unknown) => {
      if (disposed || (isAbortError(err) && controller.signal.aborted)) return;
      setError(toError(err));
    });
    return () => {
      disposed = true;
      controller.abort();
    };
  }, [hook, key, path, enabled, config, createdAt, start, done]);

  return { runs, error, stop };
}

/**
 * Subscribes to the runs with a tag (or any of several tags): the latest 100 per tag, kept
 * current, ordered by creation. Stays open for new runs until unmounted or stopped.
 */
export function useRealtimeRunsWithTag<TTask extends AnyTask = AnyTask>(
  tag: string | string[],
  options?: UseRealtimeRunsWithTagOptions,
): UseRealtimeRunsInstance<TTask> {
  const tags = (Array.isArray(tag) ? tag : [tag]).filter(Boolean).join(",");
  return useRunList<TTask>(
    "useRealtimeRunsWithTag",
    tags || undefined,
    `/api/v1/realtime/runs?tags=${encodeURIComponent(tags)}`,
    options,
    undefined,
  );
}

/** Subscribes to a batch's runs until they have all finished. */
export function useRealtimeBatch<TTask extends AnyTask = AnyTask>(
  batchId: string,
  options?: UseRealtimeRunOptions,
): UseRealtimeRunsInstance<TTask> {
  return useRunList<TTask>(
    "useRealtimeBatch",
    batchId || undefined,
    `/api/v1/realtime/batches/${encodeURIComponent(batchId)}`,
    options,
    (runs) => runs.length > 0 && runs.every(isFinalRun),
  );
}

type AnyStream = RealtimeDefinedStream<any> | StreamDescriptor<any>;

/**
 * Subscribes to a run's stream: `parts` holds every chunk so far, in order, and grows live
 * until the run finished and the last chunk arrived. Three forms, as Trigger.dev's:
 *
 * - `useRealtimeStream(aiStream, runId, options)` with a defined stream (typed parts);
 * - `useRealtimeStream<string>(runId, "ai-output", options)` with a stream id;
 * - `useRealtimeStream<Chunk>(runId, options)` for the stream `"default"`.
 */
export function useRealtimeStream<S extends AnyStream>(
  stream: S,
  runId: string | undefined,
  options?: UseRealtimeStreamOptions<InferStreamPart<S>>,
): UseRealtimeStreamInstance<InferStreamPart<S>>;
export function useRealtimeStream<TPart = unknown>(
  runId: string | undefined,
  streamKey: string,
  options?: UseRealtimeStreamOptions<TPart>,
): UseRealtimeStreamInstance<TPart>;
export function useRealtimeStream<TPart = unknown>(
  runId: string | undefined,
  options?: UseRealtimeStreamOptions<TPart>,
): UseRealtimeStreamInstance<TPart>;
export function useRealtimeStream<TPart>(
  first: AnyStream | string | undefined,
  second?: string | UseRealtimeStreamOptions<TPart>,
  third?: UseRealtimeStreamOptions<TPart>,
): UseRealtimeStreamInstance<TPart> {
  const [runId, streamId, options] =
    typeof first === "object" && first !== null
      ? [typeof second === "string" ? second : undefined, first.id, third]
      : typeof second === "string"
        ? [first, second, third]
        : [first, DEFAULT_STREAM_KEY, second];
  return useStreamParts<TPart>(runId, streamId, options);
}

function useStreamParts<TPart>(
  runId: string | undefined,
  streamId: string,
  options: UseRealtimeStreamOptions<TPart> | undefined,
): UseRealtimeStreamInstance<TPart> {
  const config = useApiConfig(options);
  const [parts, setParts] = useState<TPart[]>([]);
  const [error, setError] = useState<Error>();
  const { stop, start } = useStopper();
  const onData = useLatest(options?.onData);
  const enabled = options?.enabled !== false;
  const throttleInMs = options?.throttleInMs ?? 16;
  const timeoutInSeconds = options?.timeoutInSeconds ?? 60;
  const startIndex = options?.startIndex ?? 0;

  useEffect(() => {
    if (!enabled || !runId) return;
    setParts([]);
    setError(undefined);
    if (!config) {
      setError(missingTokenError("useRealtimeStream"));
      return;
    }
    const controller = start();
    const all: TPart[] = [];
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!disposed) setParts(all.slice());
    };
    subscribe({
      config,
      path: `/api/v1/realtime/streams/${encodeURIComponent(runId)}/${encodeURIComponent(streamId)}`,
      signal: controller.signal,
      resume: true,
      lastEventId: startIndex > 0 ? String(startIndex - 1) : undefined,
      idleTimeoutMs: timeoutInSeconds * 1000,
      onEvent(event) {
        if (event.event === "end") return "stop";
        if (event.event !== "chunk") return undefined;
        const part = JSON.parse(event.data) as TPart;
        all.push(part);
        onData.current?.(part);
        timer ??= setTimeout(flush, throttleInMs);
        return undefined;
      },
      // closed without `event: end`: cut short, so reconnect after the last chunk received
      endedNormally: () => false,
    }).then(flush, (err: unknown) => {
      flush();
      if (disposed || (isAbortError(err) && controller.signal.aborted)) return;
      setError(toError(err));
    });
    return () => {
      disposed = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [runId, streamId, enabled, config, throttleInMs, timeoutInSeconds, startIndex, start, onData]);

  return { parts, data: parts, error, stop };
}
