import { allQueues } from "@mainspring/sdk";
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
 * `mainspring start` and `mainspring worker`: run until SIGTERM/SIGINT, then drain (running
 * attempts get GRACE_MS to finish; the rest go back to the queue without burning an attempt).
 * A second signal exits at once.
 */
export async function runCommand(opts: GlobalOptions, mode: "start" | "worker"): Promise<void> {
  const GRACE_MS = graceMs();
  const { engine, project } = await openEngine(opts);
  const store =
    engine.db.kind === "pglite"
      ? `embedded PGlite, data in ${engine.db.location}`
      : `PostgreSQL ${engine.db.location}`;
  console.log(`mainspring ${mode}: pid ${process.pid}`);
  console.log(`  store:  ${store}`);
  console.log(
    `  tasks:  ${[...project.tasks.keys()].join(", ") || "(none found; check dirs in the config)"}`,
  );
  console.log(`  queues: ${allQueues().length}; worker ${engine.worker?.id} ready`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: draining (up to ${GRACE_MS} ms)...`);
    await engine.stop(GRACE_MS);
    console.log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
