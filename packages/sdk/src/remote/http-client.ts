import { type ErrorCode, MainspringError } from "../errors.js";

/**
 * A failed HTTP API call. `code` is the server's stable code (`TASK_NOT_FOUND`,
 * `RUN_NOT_FOUND`, `INVALID_OPTIONS`, ... as in-process, plus HTTP-only ones such as
 * `UNAUTHENTICATED`, `FORBIDDEN`, `RATE_LIMITED`, `API_UNREACHABLE`); `status` is the HTTP
 * status (0 when the server could not be reached).
 */
export class MainspringApiError extends MainspringError {
  override name = "MainspringApiError";
  constructor(
    code: string,
    message: string,
    readonly status: number,
    details?: unknown,
    readonly requestId?: string,
  ) {
    super(code as ErrorCode, message, details);
  }
}

export interface HttpClientOptions {
  baseURL: string;
  accessToken: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Retries of a request answered 429/502/503/504 (or, for GET, not answered). Default 3. */
  maxRetries?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpResult<T> {
  data: T;
  headers: Headers;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP layer of the remote client: auth, JSON, retries, and errors as MainspringApiError. */
export class HttpClient {
  readonly baseURL: string;
  private readonly accessToken: string;
  private readonly fetchFn: typeof fetch;
  private readonly maxRetries: number;

  constructor(options: HttpClientOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, "");
    this.accessToken = options.accessToken;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.maxRetries = options.maxRetries ?? 3;
  }

  url(path: string, query?: Query): string {
    const url = new URL(this.baseURL + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** Headers every call carries. */
  authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.accessToken}` };
  }

  /** Sends a request without reading the body; a non-2xx answer throws MainspringApiError. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { ...this.authHeaders(), ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers["content-type"] = options.contentType ?? "text/plain";
      body = options.body;
    }
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchFn(url, { method, headers, body, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // Not answered: only a GET is certainly safe to send again.
        if (method === "GET" && attempt < this.maxRetries) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw new MainspringApiError(
          "API_UNREACHABLE",
          `Could not reach the Mainspring API at ${this.baseURL} (${method} ${path}): ${(error as Error).message}`,
          0,
          { cause: (error as Error & { cause?: unknown }).cause ?? String(error) },
        );
      }
      if (response.ok) return response;
      const retryable =
        RETRY_STATUSES.has(response.status) && response.headers.get("x-should-retry") !== "false";
      if (retryable && attempt < this.maxRetries) {
        await response.body?.cancel().catch(() => {});
        await sleep(retryAfterMs(response) ?? backoffMs(attempt));
        continue;
      }
      throw await errorFrom(response, method, path);
    }
  }

  /** Sends a request and parses the JSON answer. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResult<T>> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    let data: T;
    try {
      data = (text === "" ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new MainspringApiError(
        "INVALID_RESPONSE",
        `${method} ${path} answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
    return { data, headers: response.headers };
  }
}

function backoffMs(attempt: number): number {
  return Math.min(5000, 200 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(60_000, Math.max(0, at - Date.now()));
}

const CODE_BY_STATUS: Record<number, string> = {
  400: "INVALID_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "INVALID_PAYLOAD",
  429: "RATE_LIMITED",
};

/** The server's `{ error, code, details? }` body as a MainspringApiError (any body as a fallback). */
export async function errorFrom(
  response: Response,
  method: string,
  path: string,
): Promise<MainspringApiError> {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  const text = await response.text().catch(() => "");
  let body: { error?: unknown; code?: unknown; details?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fallbackCode =
    CODE_BY_STATUS[response.status] ?? (response.status >= 500 ? "SERVER_ERROR" : "HTTP_ERROR");
  const code = typeof body?.code === "string" ? body.code : fallbackCode;
  const message =
    typeof body?.error === "string"
      ? body.error
      : typeof body?.message === "string"
        ? body.message
        : `${method} ${path} failed with HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  return new MainspringApiError(code, message, response.status, body?.details, requestId);
}
