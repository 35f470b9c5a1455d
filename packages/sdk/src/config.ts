import type { RetryOptions } from "./retry.js";

/**
 * The engine's store as an app sees it (structurally the engine's `Db`), so an app can keep
 * its own tables in the same database. The SDK itself holds no database code.
 */
export interface SetupStoreQueryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  exec(sql: string): Promise<void>;
}

export interface SetupStore extends SetupStoreQueryable {
  readonly kind: "pglite" | "postgres";
  readonly location: string;
  /** `afterCommitSent`: see the engine's TransactionOptions (an effect that must follow the commit). */
  transaction<T>(
    fn: (tx: SetupStoreQueryable) => Promise<T>,
    options?: { afterCommitSent?: (result: T) => void },
  ): Promise<T>;
}

export interface SetupContext {
  /** The engine's open store. PGlite can be opened once per process, so apps share this one. */
  db: SetupStore;
  /** True when this process runs a worker (`start`, `worker`); false for one-shot CLI commands. */
  worker: boolean;
}

/** Who called an app route, as the HTTP API authenticated them. */
export interface AppRouteAuth {
  /**
   * A secret key (may do anything), a public access token (only its scopes), or nobody, on
   * a route declared `public` (whose URL must carry its own proof, e.g. a signed link).
   */
  kind: "secret" | "public" | "anonymous";
  /**
   * Whether the caller holds a scope: always true for a secret key; for a token, a scope
   * `action:resource:id`, `action:resource` (any id), or `admin`. E.g. `can("read", "tags", "workspace:ws_1")`.
   */
  can(action: string, resource: string, id?: string): boolean;
}

export interface AppRouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body (undefined for GET, and on public routes). */
  body: unknown;
  /** The request body as text, on public routes (they accept any content type). */
  rawBody?: string;
  auth: AppRouteAuth;
}

/**
 * An app's own HTTP endpoint, served by `mainspring start`/`api` under `/api/v1/app{path}`
 * behind the same authentication as the rest of the API. The handler authorizes the caller
 * (`auth.can`) and returns JSON. Errors with a `code` listed in `errors` become that status
 * and `{ error, code }`; others are 500.
 */
export interface AppRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Hono-style path, e.g. "/workspaces/:workspaceId/search". */
  path: string;
  handler(request: AppRouteRequest): Promise<unknown> | unknown;
  /** HTTP status per error code the handler may throw. */
  errors?: Record<string, number>;
  /**
   * Further paths, taken as they are (not under /api/v1/app), with the same authentication,
   * e.g. the seed's `/api/approvals/:id/approve`. They must start with `/api/`.
   */
  aliases?: string[];
  /**
   * Served without credentials (e.g. RFC 8058 one-click unsubscribe, which mail providers POST
   * to): the handler must verify the request itself. Bodies may then be any content type;
   * `rawBody` holds the text.
   */
  public?: boolean;
}

/** `mainspring.config.ts`, in the spirit of `trigger.config.ts`. */
export interface MainspringConfig {
  /** Folders whose files are imported at start; every task they export is registered. */
  dirs?: string[];
  retries?: { default?: RetryOptions };
  /** Default maxDuration in seconds for tasks that set none. */
  maxDuration?: number;
  /** Runs one worker process executes at once. */
  concurrency?: number;
  /**
   * Called by the CLI once the engine has started (migrated, worker running), before the
   * process reports ready: an app migrates its own tables and binds the store here. Runs that
   * the worker claims meanwhile must wait for the app's own readiness signal.
   */
  setup?: (context: SetupContext) => Promise<void> | void;
  /** The app's own HTTP endpoints (see AppRoute), e.g. search over the CRM's documents. */
  routes?: AppRoute[];
}

export function defineConfig(config: MainspringConfig): MainspringConfig {
  return config;
}
