import { allQueues } from "@mainspring/sdk";
import { ensureFirstKey, type RunningServer, startServer } from "@mainspring/server";
import { serverOptionsFromEnv } from "../server-env.js";
import { type GlobalOptions, openEngine } from "./shared.js";

function graceMs(): number {
  const raw = process.env.MAINSPRING_SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw === "") return 30_000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`MAINSPRING_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, got "${raw}"`);
  }
  return value;
}

/**
 * `mainspring start` (worker, scheduler and HTTP API), `mainspring worker` (no HTTP) and
 * `mainspring api` (HTTP only, no worker): run until SIGTERM/SIGINT, then drain (running
 * attempts get GRACE_MS to finish; the rest go back to the queue without burning an attempt).
 * A second signal exits at once.
 */
export async function runCommand(opts: GlobalOptions, mode: "start" | "worker" | "api"): Promise<void> {
  const GRACE_MS = graceMs();
  const serverOptions = mode === "worker" ? undefined : serverOptionsFromEnv();
  const { engine, project } = await openEngine(
    opts,
    mode === "api" ? { worker: false, maintenance: false } : {},
  );
  let server: RunningServer | undefined;
  if (serverOptions) {
    try {
      server = await startServer({ engine, appRoutes: project.config.routes, ...serverOptions });
    } catch (error) {
      await engine.stop(0);
      throw error;
    }
  }
  // The first start on an empty embedded store creates a development key (shown once, below).
  const firstKey = server && engine.db.kind === "pglite" ? await ensureFirstKey(engine.db) : undefined;
  // Signals drain from here on.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: draining (up to ${GRACE_MS} ms)...`);
    await server?.close();
    await engine.stop(GRACE_MS);
    console.log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  const store =
    engine.db.kind === "pglite"
      ? `embedded PGlite, data in ${engine.db.location}`
      : `PostgreSQL ${engine.db.location}`;
  console.log(`mainspring ${mode}: pid ${process.pid}`);
  console.log(`  store:  ${store}`);
  console.log(
    `  tasks:  ${[...project.tasks.keys()].join(", ") || "(none found; check dirs in the config)"}`,
  );
  console.log(
    `  queues: ${allQueues().length}; ${engine.worker ? `worker ${engine.worker.id} ready` : "no worker (API only)"}`,
  );
  if (server) {
    console.log(`  api:    ${server.url} (Trigger.dev-compatible; set TRIGGER_API_URL to it)`);
    console.log(
      serverOptions?.staticDir
        ? `  web:    ${server.url}/ (the dashboard: log in with a secret key${serverOptions.dashboardPassword ? " or MAINSPRING_DASHBOARD_PASSWORD" : ""})`
        : "  web:    no dashboard build (npm run build:dashboard)",
    );
    if (firstKey) {
      console.log(`  key:    ${firstKey}`);
      console.log("          (a development secret key, shown once: use it as TRIGGER_SECRET_KEY)");
    }
  }
}
