/**
 * The dashboard's calls to the Mainspring API: same origin, the session token as a bearer
 * token. A 401 ends the session (the login page takes over).
 */

const STORAGE_KEY = "mainspring.session";

export interface Session {
  token: string;
  expiresAt: string;
  via: "password" | "key";
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let current: Session | undefined = load();
const listeners = new Set<() => void>();

function load(): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Session | null;
    return session && Date.parse(session.expiresAt) > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function getSession(): Session | undefined {
  return current;
}

export function setSession(session: Session | undefined): void {
  current = session;
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** JSON request to the API; throws ApiError with the server's `code` on a non-2xx answer. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
) {
  const headers: Record<string, string> = {};
  if (current) headers.authorization = `Bearer ${current.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: string; code?: string; details?: unknown };
    if (res.status === 401 && current && !path.endsWith("/dashboard/login")) setSession(undefined);
    throw new ApiError(res.status, b.code ?? `HTTP_${res.status}`, b.error ?? res.statusText, b.details);
  }
  return body as T;
}

/** Query string from the defined values (arrays joined with commas, as the API reads them). */
export function query(params: Record<string, string | number | boolean | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    q.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
