import type { Engine, UrlSigner } from "@mainspring/engine";
import type { AppRoute } from "@mainspring/sdk";
import type { Logger } from "pino";
import type { DashboardSessions } from "./auth/dashboard-sessions.js";
import type { KeyVerifier } from "./auth/keys.js";
import type { PublicTokens } from "./auth/public-tokens.js";
import type { Grants } from "./auth/scopes.js";
import type { Metrics } from "./http/metrics.js";
import type { Packets } from "./http/packets.js";

/** Everything a route needs, built once per server. */
export interface ServerContext {
  engine: Engine;
  keys: KeyVerifier;
  tokens: PublicTokens;
  /** Dashboard logins (secret key or MAINSPRING_DASHBOARD_PASSWORD) exchanged for sessions. */
  sessions: DashboardSessions;
  logger: Logger;
  metrics: Metrics;
  packets: Packets;
  signer: UrlSigner;
  /** The public base URL clients reach this server at (callback URLs are built from it). */
  publicUrl: string;
  /** Origins browsers may call from (`*` for any). */
  corsOrigins: string[];
  limits: ServerLimits;
  /** Where the dashboard's built files are, if served. */
  staticDir?: string;
  /** The app's own endpoints, from mainspring.config.ts `routes`. */
  appRoutes: AppRoute[];
  /** Ends each open realtime stream (closing the server calls them). */
  openStreams: Set<() => void>;
}

export interface ServerLimits {
  /** Request bodies (and so payloads) over this are refused with 413. */
  maxBodyBytes: number;
  /** Requests per key (or per client address without one) per minute; 0 turns the limit off. */
  requestsPerMinute: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxBodyBytes: 3 * 1024 * 1024,
  requestsPerMinute: 6000,
};

/** Who is calling: a secret key (full access) or a public access token (its scopes only). */
export type Principal =
  | { kind: "secret"; keyId: string; environment: string }
  | { kind: "public"; sub: string; grants: Grants; oneTimeUse: boolean; token: string };

export interface AppEnv {
  Variables: {
    principal: Principal;
    requestId: string;
  };
}
