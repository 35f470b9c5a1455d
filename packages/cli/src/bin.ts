import { Command } from "commander";
import { keysCommand } from "./commands/keys.js";
import { migrateCommand } from "./commands/migrate.js";
import { runCommand } from "./commands/run.js";
import { runsCommand } from "./commands/runs.js";
import { schedulesCommand } from "./commands/schedules.js";
import { tokensCommand } from "./commands/tokens.js";
import { triggerCommand } from "./commands/trigger.js";

const program = new Command("mainspring")
  .description("Background jobs with the Trigger.dev v4 task API, on embedded PGlite or PostgreSQL")
  .option("-c, --config <path>", "config file", process.env.MAINSPRING_CONFIG ?? "mainspring.config.ts")
  .option("--json", "machine-readable output");

program
  .command("start")
  .description(
    "run everything in one process: store, worker, scheduler and HTTP API (embedded store by default)",
  )
  .action(() => runCommand(program.opts(), "start"));
program
  .command("worker")
  .description("run a worker process (use with DATABASE_URL to scale out)")
  .action(() => runCommand(program.opts(), "worker"));
program
  .command("api")
  .description("serve the HTTP API without running tasks (use with DATABASE_URL beside workers)")
  .action(() => runCommand(program.opts(), "api"));
program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(() => migrateCommand(program.opts()));
triggerCommand(program);
keysCommand(program);
runsCommand(program);
tokensCommand(program);
schedulesCommand(program);

program.parseAsync().catch((error) => {
  const code = (error as { code?: string }).code;
  console.error(
    `error${code ? ` [${code}]` : ""}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
