import { createContext, createElement, type ReactNode, useContext, useMemo } from "react";
import type { ApiClientConfiguration } from "./client.js";

/**
 * Gives every hook below it an access token and base URL, as Trigger.dev's
 * `TriggerAuthContext`: `<TriggerAuthContext.Provider value={{ accessToken, baseURL }}>`.
 * Options passed to a hook win over the context.
 */
export const TriggerAuthContext = createContext<ApiClientConfiguration | undefined>(undefined);
TriggerAuthContext.displayName = "TriggerAuthContext";

/** The context's value; throws outside a provider. */
export function useTriggerAuthContext(): ApiClientConfiguration {
  const value = useContext(TriggerAuthContext);
  if (!value) throw new Error("TriggerAuthContext not found: wrap the tree in <MainspringProvider>");
  return value;
}

/** The context's value, or `{}` outside a provider. */
export function useTriggerAuthContextOptional(): ApiClientConfiguration {
  return useContext(TriggerAuthContext) ?? {};
}

export interface MainspringProviderProps extends ApiClientConfiguration {
  children?: ReactNode;
}

/** `<MainspringProvider accessToken={token} baseURL="http://localhost:3030">…</MainspringProvider>` */
export function MainspringProvider({ accessToken, baseURL, headers, children }: MainspringProviderProps) {
  const value = useMemo(() => ({ accessToken, baseURL, headers }), [accessToken, baseURL, headers]);
  return createElement(TriggerAuthContext.Provider, { value }, children);
}

/** Options every hook takes (Trigger.dev's `UseApiClientOptions`). */
export interface UseApiClientOptions extends ApiClientConfiguration {
  /** `false`: do nothing (no request, no error), e.g. while the token is still being fetched. */
  enabled?: boolean;
}

/**
 * The configuration a hook uses: its own options over the context. `undefined` when there is
 * no access token (the hooks report that as their `error` unless `enabled` is false).
 */
export function useApiConfig(options?: UseApiClientOptions): ApiClientConfiguration | undefined {
  const auth = useTriggerAuthContextOptional();
  const accessToken = options?.accessToken ?? auth.accessToken;
  const baseURL = options?.baseURL ?? auth.baseURL;
  // by value: an inline `headers: {…}` must not start a new subscription on every render
  const headersKey = JSON.stringify(options?.headers ?? auth.headers ?? null);
  return useMemo(() => {
    const headers = JSON.parse(headersKey) as Record<string, string> | null;
    return accessToken ? { accessToken, baseURL, ...(headers ? { headers } : {}) } : undefined;
  }, [accessToken, baseURL, headersKey]);
}

export const missingTokenError = (hook: string) =>
  new Error(`${hook}: missing accessToken (pass it in the options or wrap the tree in <MainspringProvider>)`);
