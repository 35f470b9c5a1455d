import { useCallback, useEffect, useRef, useState } from "react";
import { postJson } from "./client.js";
import { missingTokenError, type UseApiClientOptions, useApiConfig } from "./context.js";
import { type UseRealtimeRunInstance, type UseRealtimeSingleRunOptions, useRealtimeRun } from "./realtime.js";
import type { AnyTask, TaskIdentifier, TaskPayload } from "./types.js";

/** `useWaitToken`'s result (Trigger.dev's `WaitTokenInstance`). */
export interface WaitTokenInstance<TOutput> {
  /** Completes the token with `output` as the waiting run's result. Never rejects: see `error`. */
  complete: (output: TOutput) => Promise<void>;
  /** A completion is in flight. */
  isLoading: boolean;
  /** The server accepted the completion (also when the token was already completed). */
  isCompleted: boolean;
  error?: Error;
}

const toError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** Tracks whether the component is still mounted, so late answers set no state. */
function useMounted() {
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return mounted;
}

/**
 * Completes a wait token from the browser, with a public token scoped
 * `write:waitpoints:<tokenId>` (`POST /api/v1/waitpoints/tokens/:id/complete`).
 *
 * `const { complete, isLoading, isCompleted, error } = useWaitToken<{ approved: boolean }>(tokenId, { accessToken });`
 */
export function useWaitToken<TOutput = unknown>(
  tokenId: string | undefined,
  options?: UseApiClientOptions,
): WaitTokenInstance<TOutput> {
  const config = useApiConfig(options);
  const [isLoading, setLoading] = useState(false);
  const [isCompleted, setCompleted] = useState(false);
  const [error, setError] = useState<Error>();
  const mounted = useMounted();

  // a different token starts over
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the token changes
  useEffect(() => {
    setCompleted(false);
    setError(undefined);
  }, [tokenId]);

  const complete = useCallback(
    async (output: TOutput) => {
      if (!tokenId) {
        setError(new Error("useWaitToken: no token id"));
        return;
      }
      if (!config) {
        setError(missingTokenError("useWaitToken"));
        return;
      }
      setLoading(true);
      setError(undefined);
      try {
        await postJson(config, `/api/v1/waitpoints/tokens/${encodeURIComponent(tokenId)}/complete`, {
          data: output,
        });
        if (mounted.current) setCompleted(true);
      } catch (err) {
        if (mounted.current) setError(toError(err));
      } finally {
        if (mounted.current) setLoading(false);
      }
    },
    [tokenId, config, mounted],
  );

  return { complete, isLoading, isCompleted, error };
}

/** Options for `submit` (Trigger.dev's `TriggerOptions`, the ones a browser may set). */
export interface TaskTriggerOptions {
  idempotencyKey?: string;
  idempotencyKeyTTL?: string;
  tags?: string | string[];
  /** A duration ("1h"), an ISO date or a Date. */
  delay?: string | Date;
  ttl?: string | number;
  /** A queue's name. */
  queue?: string;
  concurrencyKey?: string;
  priority?: number;
  maxAttempts?: number;
  maxDuration?: number;
  metadata?: Record<string, unknown>;
}

/** What `submit` produced (Trigger.dev's run handle). */
export interface TaskRunHandle<TId extends string = string> {
  id: string;
  taskIdentifier: TId;
  isCached: boolean;
  /** A token that may read this run (`read:runs:<id>`): pass it to `useRealtimeRun`. */
  publicAccessToken?: string;
}

/** `useTaskTrigger`'s result (Trigger.dev's `TriggerInstance`). */
export interface TriggerInstance<TTask extends AnyTask> {
  /** Triggers the task. Resolves with the handle, or undefined on failure (see `error`). */
  submit: (
    payload: TaskPayload<TTask>,
    options?: TaskTriggerOptions,
  ) => Promise<TaskRunHandle<TaskIdentifier<TTask>> | undefined>;
  isLoading: boolean;
  handle?: TaskRunHandle<TaskIdentifier<TTask>>;
  error?: Error;
}

export type UseTaskTriggerOptions = UseApiClientOptions;

/**
 * Triggers a task from the browser with a public token scoped `trigger:tasks:<id>` (for example
 * from `auth.createTriggerPublicToken`): `POST /api/v1/tasks/:id/trigger`.
 *
 * `const { submit, handle, isLoading, error } = useTaskTrigger<typeof myTask>("my-task", { accessToken });`
 */
export function useTaskTrigger<TTask extends AnyTask = AnyTask>(
  id: TaskIdentifier<TTask>,
  options?: UseTaskTriggerOptions,
): TriggerInstance<TTask> {
  const config = useApiConfig(options);
  const [isLoading, setLoading] = useState(false);
  const [handle, setHandle] = useState<TaskRunHandle<TaskIdentifier<TTask>>>();
  const [error, setError] = useState<Error>();
  const mounted = useMounted();

  const submit = useCallback(
    async (payload: TaskPayload<TTask>, triggerOptions?: TaskTriggerOptions) => {
      if (!config) {
        setError(missingTokenError("useTaskTrigger"));
        return undefined;
      }
      setLoading(true);
      setError(undefined);
      try {
        const o = triggerOptions ?? {};
        const { body, response } = await postJson<{ id: string; isCached?: boolean }>(
          config,
          `/api/v1/tasks/${encodeURIComponent(id)}/trigger`,
          {
            payload: JSON.stringify(payload ?? null),
            options: {
              payloadType: "application/json",
              queue: o.queue ? { name: o.queue } : undefined,
              concurrencyKey: o.concurrencyKey,
              idempotencyKey: o.idempotencyKey,
              idempotencyKeyTTL: o.idempotencyKeyTTL,
              delay: o.delay instanceof Date ? o.delay.toISOString() : o.delay,
              ttl: o.ttl,
              tags: o.tags,
              priority: o.priority,
              maxAttempts: o.maxAttempts,
              maxDuration: o.maxDuration,
              ...(o.metadata === undefined
                ? {}
                : { metadata: JSON.stringify(o.metadata), metadataType: "application/json" }),
            },
          },
        );
        const next: TaskRunHandle<TaskIdentifier<TTask>> = {
          id: body.id,
          taskIdentifier: id,
          isCached: body.isCached ?? false,
          publicAccessToken: response.headers.get("x-trigger-jwt") ?? undefined,
        };
        if (mounted.current) setHandle(next);
        return next;
      } catch (err) {
        if (mounted.current) setError(toError(err));
        return undefined;
      } finally {
        if (mounted.current) setLoading(false);
      }
    },
    [id, config, mounted],
  );

  return { submit, isLoading, handle, error };
}

export type UseRealtimeTaskTriggerOptions<TTask extends AnyTask = AnyTask> = UseTaskTriggerOptions &
  Omit<UseRealtimeSingleRunOptions<TTask>, "accessToken" | "baseURL" | "enabled">;

export type RealtimeTriggerInstance<TTask extends AnyTask> = UseRealtimeRunInstance<TTask> & {
  submit: TriggerInstance<TTask>["submit"];
  isLoading: boolean;
  handle?: TaskRunHandle<TaskIdentifier<TTask>>;
};

/**
 * Triggers a task, then follows the run it created with the handle's own token.
 *
 * `const { submit, run, error } = useRealtimeTaskTrigger<typeof myTask>("my-task", { accessToken });`
 */
export function useRealtimeTaskTrigger<TTask extends AnyTask = AnyTask>(
  id: TaskIdentifier<TTask>,
  options?: UseRealtimeTaskTriggerOptions<TTask>,
): RealtimeTriggerInstance<TTask> {
  const trigger = useTaskTrigger<TTask>(id, options);
  const realtime = useRealtimeRun<TTask>(trigger.handle?.id, {
    ...options,
    accessToken: trigger.handle?.publicAccessToken ?? options?.accessToken,
    enabled: trigger.handle !== undefined,
  });
  return {
    submit: trigger.submit,
    isLoading: trigger.isLoading,
    handle: trigger.handle,
    run: realtime.run,
    error: realtime.error ?? trigger.error,
    stop: realtime.stop,
  };
}
