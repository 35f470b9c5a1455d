import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { type Engine, openUrlSigner } from "@mainspring/engine";
import type { AppRoute } from "@mainspring/sdk";
import pino, { type Logger } from "pino";
import { createApp } from "./app.js";
import { DashboardSessions } from "./auth/dashboard-sessions.js";
import { KeyVerifier } from "./auth/keys.js";
import { PublicTokens } from "./auth/public-tokens.js";
import { DEFAULT_SERVER_LIMITS, type ServerContext, type ServerLimits } from "./context.js";
import { Metrics } from "./http/metrics.js";
import { Packets } from "./http/packets.js";
import { RunWatcher } from "./realtime/run-watcher.js";

/** How long requests in flight may take to answer when the server closes. */
const CLOSE_GRACE_MS = 5_000;

export interface ServerOptions {
  engine: Engine;
  /** Default 3030; 0 picks a free port. */
  port?: number;
  host?: string;
  /** The URL clients reach this server at; default `http://localhost:{port}`. */
  publicUrl?: string;
  /** Overrides the per-database signing secret (`MAINSPRING_JWT_SECRET`). */
  jwtSecret?: string;
  /** Lets the dashboard log in with this password as well as with a secret key (MAINSPRING_DASHBOARD_PASSWORD). */
  dashboardPassword?: string;
  limits?: Partial<ServerLimits>;
  /** The app's own endpoints (mainspring.config.ts `routes`), served under /api/v1/app. */
  appRoutes?: AppRoute[];
  /** A folder of static files (the dashboard's build) served at `/`; unknown paths get its index.html. */
  staticDir?: string;
  /** Origins browsers may call the API from; default any (`*`). */
  corsOrigins?: string[];
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  context: ServerContext;
  close(): Promise<void>;
}

/** Builds the context (keys, token signer, metrics) on the engine's store and serves the API. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { engine } = options;
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info" });
  const tokens = await PublicTokens.open(engine.db, options.jwtSecret);
  const signer = await openUrlSigner(engine.db, options.jwtSecret);
  const sessions = await DashboardSessions.open(engine.db, options.jwtSecret, options.dashboardPassword);
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };

  const context: ServerContext = {
    engine,
    keys: new KeyVerifier(engine.db),
    tokens,
    sessions,
    signer,
    packets: new Packets(engine.db),
    logger,
    metrics: new Metrics(engine),
    publicUrl: "",
    corsOrigins: options.corsOrigins ?? ["*"],
    appRoutes: options.appRoutes ?? [],
    openStreams: new Set(),
    staticDir: options.staticDir,
    limits,
  };
  const watcher = new RunWatcher(engine);
  const app = createApp(context, watcher);

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, port: options.port ?? 3030, hostname: options.host ?? "0.0.0.0" },
      () => resolve(s),
    );
    // EADDRINUSE and friends reject, so the caller can stop the engine cleanly
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  context.publicUrl = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/$/, "");
  engine.waits.signCallbackUrls(signer, context.publicUrl);

  return {
    url: context.publicUrl,
    port,
    context,
    close: () =>
      new Promise<void>((resolve, reject) => {
        watcher.stop();
        context.metrics.close();
        // End realtime streams (they never end on their own), let requests in flight answer,
        // and cut what is still open after a grace period.
        for (const end of context.openStreams) end();
        const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
        const force = setTimeout(() => http.closeAllConnections?.(), CLOSE_GRACE_MS);
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        http.closeIdleConnections?.();
      }),
  };
}
