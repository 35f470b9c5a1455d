import type { Run, RunStatus } from "@mainspring/sdk";
import type { Command } from "commander";
import { type GlobalOptions, print, withEngine } from "./shared.js";

const list = (v: string) => v.split(",").filter(Boolean);

function row(run: Run): string {
  const tags = run.tags.length ? ` [${run.tags.join(", ")}]` : "";
  return `${run.id}  ${run.status.padEnd(14)} ${run.taskIdentifier.padEnd(28)} ${run.createdAt.toISOString()}${tags}`;
}

export function runsCommand(program: Command): void {
  const runsCmd = program.command("runs").description("inspect and manage runs");
  runsCmd
    .command("list")
    .option("--status <statuses>", "comma-separated statuses", list)
    .option("--task <ids>", "comma-separated task ids", list)
    .option("--tag <tags>", "comma-separated tags (any)", list)
    .option("--limit <n>", "page size (max 100)", Number, 25)
    .option("--after <cursor>", "cursor from the previous page")
    .action(async (o) => {
      const page = await withEngine(program.opts<GlobalOptions>(), (e) =>
        e.listRuns({
          status: o.status as RunStatus[] | undefined,
          taskIdentifier: o.task,
          tag: o.tag,
          limit: o.limit,
          after: o.after,
        }),
      );
      print(program.opts(), page, () =>
        [...page.data.map(row), page.nextCursor ? `more: --after ${page.nextCursor}` : ""]
          .filter(Boolean)
          .join("\n"),
      );
    });

  runsCmd.command("get <runId>").action(async (id: string) => {
    const { run, logs } = await withEngine(program.opts<GlobalOptions>(), async (e) => ({
      run: await e.retrieveRun(id),
      logs: await e.logs(id),
    }));
    print(program.opts(), { ...run, logs }, () =>
      [
        row(run),
        `payload: ${JSON.stringify(run.payload)}`,
        run.output !== undefined ? `output:  ${JSON.stringify(run.output)}` : "",
        run.error ? `error:   ${run.error.message}` : "",
        ...logs.map((l) => `  [attempt ${l.attempt}] ${l.level}: ${l.message}`),
      ]
        .filter(Boolean)
        .join("\n"),
    );
  });

  runsCmd.command("cancel <runId>").action(async (id: string) => {
    const result = await withEngine(program.opts<GlobalOptions>(), (e) => e.cancelRun(id));
    print(program.opts(), result, () => `canceled ${id}`);
  });

  runsCmd.command("replay <runId>").action(async (id: string) => {
    const result = await withEngine(program.opts<GlobalOptions>(), (e) => e.replayRun(id));
    print(program.opts(), result, () => `replayed as ${result.id}`);
  });
}
