import { MainspringError, type Run, runs } from "@mainspring/sdk";
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalOptions, openEngine, print } from "./shared.js";

function json(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`not valid JSON: ${value}`);
  }
}

export function triggerCommand(program: Command): void {
  program
    .command("trigger <task>")
    .description("trigger a task; with --wait, run it here and print its result")
    .option("-p, --payload <json>", "payload as JSON", json)
    .option("--tags <tags>", "comma-separated tags", (v: string) => v.split(",").filter(Boolean))
    .option("--delay <delay>", 'delay, e.g. "10s" or an ISO date')
    .option("--idempotency-key <key>", "idempotency key")
    .option("--queue <name>", "queue name")
    .option("--concurrency-key <key>", "concurrency key")
    .option("-w, --wait", "execute the run in this process and wait for it to finish")
    .action(async (taskId: string, o) => {
      const opts = program.opts<GlobalOptions>();
      const { engine } = await openEngine(opts, o.wait ? {} : { worker: false, maintenance: false });
      try {
        const handle = await engine.trigger(taskId, o.payload, {
          tags: o.tags,
          delay: o.delay,
          idempotencyKey: o.idempotencyKey,
          queue: o.queue,
          concurrencyKey: o.concurrencyKey,
        });
        if (!o.wait) {
          print(
            opts,
            handle,
            () => `${handle.id}${handle.isCached ? " (existing run for this idempotency key)" : ""}`,
          );
          return;
        }
        let run: Run = await runs.retrieve(handle.id);
        while (!run.isCompleted) {
          await new Promise((r) => setTimeout(r, 100));
          run = await runs.retrieve(handle.id);
        }
        print(opts, run, () =>
          [
            `${run.id} ${run.status} after ${run.attemptCount} attempt(s)`,
            run.output !== undefined ? JSON.stringify(run.output, null, 2) : "",
            run.error ? `error: ${run.error.message}` : "",
          ]
            .filter(Boolean)
            .join("\n"),
        );
        if (!run.isSuccess) process.exitCode = 2;
      } catch (error) {
        if (error instanceof MainspringError) process.exitCode = 1;
        throw error;
      } finally {
        await engine.stop(5000);
      }
    });
}
