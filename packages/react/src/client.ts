import { readSse, type SseEvent } from "./sse.js";

/**
 * The HTTP side of the hooks: JSON requests and SSE subscriptions with `fetch` (not
 * EventSource, so the token goes in an `Authorization` header), reconnecting on network
 * failures. Browser-safe: fetch, AbortController, timers.
 */

/** Where and as whom the hooks call the API. */
export interface ApiClientConfiguration {
  /** A public access token (or, server-side only, a secret key). */
  accessToken?: string;
  /** The Mainspring server's URL, e.g. `http://localhost:3030`. Default: the page's own origin. */
  baseURL?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** An answer from the API that was not a success: `status` and the server's stable `code`. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The first wait before a reconnect, doubled per consecutive failure up to the cap. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export function apiUrl(config: ApiClientConfiguration, path: string): string {
  const base = (config.baseURL ?? "").replace(/\/+$/, "");
  return `${base}${path}`;
}

function headers(config: ApiClientConfiguration, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...config.headers, ...extra };
  if (config.accessToken) out.Authorization = `Bearer ${config.accessToken}`;
  return out;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as { error?: unknown; code?: unknown; message?: unknown };
    if (typeof body.code === "string") code = body.code;
    if (typeof body.error === "string") message = body.error;
    else if (typeof body.message === "string") message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

/** Statuses worth another try: the server is busy, restarting or rate-limiting us. */
const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

export const isAbortError = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError";

/** POSTs JSON; returns the parsed body and the response (for headers such as `x-trigger-jwt`). */
export async function postJson<T>(
  config: ApiClientConfiguration,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<{ body: T; response: Response }> {
  const response = await fetch(apiUrl(config, path), {
    method: "POST",
    headers: headers(config, { "Content-Type": "application/json", Accept: "application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  return { body: (await response.json()) as T, response };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export interface SubscribeOptions {
  config: ApiClientConfiguration;
  path: string;
  signal: AbortSignal;
  /** Called for every event; return "stop" to end the subscription. */
  onEvent(event: SseEvent): undefined | "stop";
  /** Resume with `Last-Event-ID` after a reconnect (streams). Run subscriptions resend snapshots. */
  resume?: boolean;
  /** The id of the last event already seen before the first connection (streams' `startIndex`). */
  lastEventId?: string;
  /**
   * The server closed the stream by itself: true when the subscription is over, false to
   * reconnect (it was cut before its natural end). Default: over.
   */
  endedNormally?(): boolean;
  /** Ends the subscription quietly when no event arrives for this long. */
  idleTimeoutMs?: number;
  /** Told of each failure that is retried (network error, 5xx, 429). */
  onRetry?(error: unknown, attempt: number): void;
}

/**
 * Follows an SSE endpoint until `onEvent` says stop, the server ends it (and `endedNormally`
 * agrees), the signal aborts, or the idle timeout passes. Network failures and transient
 * statuses reconnect with backoff; any other refusal (401, 403, 404...) rejects with ApiError.
 */
export async function subscribe(options: SubscribeOptions): Promise<void> {
  const { config, path, signal } = options;
  let lastEventId = options.lastEventId;
  let failures = 0;
  let retryMs: number | undefined;
  let handlerFailed = false;
  while (!signal.aborted) {
    // One controller per connection: the idle timer and the caller's signal both end it.
    const connection = new AbortController();
    const stopConnection = () => connection.abort();
    signal.addEventListener("abort", stopConnection, { once: true });
    let idle = false;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      if (options.idleTimeoutMs === undefined) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idle = true;
        connection.abort();
      }, options.idleTimeoutMs);
    };
    try {
      armIdle();
      const extra: Record<string, string> = { Accept: "text/event-stream" };
      if (lastEventId !== undefined) extra["Last-Event-ID"] = lastEventId;
      const res = await fetch(apiUrl(config, path), {
        headers: headers(config, extra),
        signal: connection.signal,
      });
      if (!res.ok) {
        const error = await errorFrom(res);
        if (!isTransient(res.status)) throw error;
        const after = Number(res.headers.get("retry-after"));
        throw Object.assign(error, { retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : 0 });
      }
      if (!res.body) throw new ApiError(res.status, "NO_BODY", "The realtime response has no body");
      for await (const event of readSse(res.body)) {
        failures = 0;
        armIdle();
        if (event.retry !== undefined) retryMs = event.retry;
        if (options.resume && event.id !== undefined) lastEventId = event.id;
        let verdict: undefined | "stop";
        try {
          verdict = options.onEvent(event);
        } catch (error) {
          // a bad event (unparseable data) would come back on every reconnect: give up
          handlerFailed = true;
          throw error;
        }
        if (verdict === "stop") return;
      }
      if (!options.endedNormally || options.endedNormally()) return;
      // cut short (a proxy, a server restart): come back for the rest
    } catch (error) {
      if (handlerFailed) throw error;
      if (signal.aborted || idle) return;
      if (error instanceof ApiError && !isTransient(error.status)) throw error;
      failures++;
      options.onRetry?.(error, failures);
      const backoff = Math.min(RECONNECT_MAX_MS, (retryMs ?? RECONNECT_MIN_MS) * 2 ** (failures - 1));
      const after = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
      await sleep(Math.max(backoff, after), signal);
      continue;
    } finally {
      if (idleTimer) clearTimeout(idleTimer);
      signal.removeEventListener("abort", stopConnection);
      connection.abort();
    }
    // the server ended a stream that was not done: reconnect at once, then back off
    failures++;
    if (failures > 1) await sleep(Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (failures - 2)), signal);
  }
}
