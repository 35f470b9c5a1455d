import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (nothing when null), again every `pollMs` while the page is visible, and when
 * `reload()` is called. Keeps the last data while reloading, so live pages do not flicker.
 */
export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const lastPath = useRef(path);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is how reload() asks for a fetch
  useEffect(() => {
    if (lastPath.current !== path) {
      lastPath.current = path;
      setData(undefined);
    }
    if (path === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      setLoading(true);
      try {
        const result = await api<T>(path, { signal: controller.signal });
        if (controller.signal.aborted) return;
        setData(result);
        setError(undefined);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e as Error);
      } finally {
        if (!controller.signal.aborted) {
          setLoading(false);
          if (pollMs) timer = setTimeout(schedule, pollMs);
        }
      }
    };
    // polls wait while the tab is hidden, and catch up when it shows again
    const schedule = () => {
      if (document.visibilityState === "hidden") timer = setTimeout(schedule, 1000);
      else void load();
    };
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [path, pollMs, tick]);

  return { data, error, loading, reload };
}

/** A value that follows `value` after it stopped changing for `ms` (typing in filters). */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

/** Runs an action, tracking whether it is in flight and its last error. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await action(...args);
      } catch (e) {
        setError(e as Error);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error };
}
