import type { ScheduleObject } from "@mainspring/sdk";
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalOptions, openEngine, print } from "./shared.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function row(s: ScheduleObject): string {
  const state = s.active ? "active" : "inactive";
  const next = s.nextRun ? s.nextRun.toISOString() : "-";
  const external = s.externalId ? `  external:${s.externalId}` : "";
  return (
    `${s.id}  ${s.type.padEnd(11)} ${state.padEnd(8)} ${s.task.padEnd(28)} ` +
    `${`${s.generator.expression} (${s.timezone})`.padEnd(32)} next ${next}${external}\n` +
    `    ${s.generator.description}`
  );
}

export function schedulesCommand(program: Command): void {
  const cmd = program.command("schedules").description("inspect schedules (declarative and imperative)");

  cmd
    .command("list")
    .description("list schedules, newest first")
    .option("--page <n>", "page number (from 1)", positiveInt, 1)
    .option("--per-page <n>", "schedules per page (max 100)", positiveInt, 25)
    .option("--json", "machine-readable output")
    .action(async (o) => {
      const opts = { ...program.opts<GlobalOptions>(), ...(o.json ? { json: true } : {}) };
      const { engine } = await openEngine(opts, { worker: false, maintenance: false });
      try {
        const page = await engine.schedules.list({ page: o.page, perPage: o.perPage });
        print(opts, page, () => {
          if (page.data.length === 0)
            return page.pagination.count ? "no schedules on this page" : "no schedules";
          const { currentPage, totalPages, count } = page.pagination;
          const more = currentPage < totalPages ? ` (more: --page ${currentPage + 1})` : "";
          return [
            ...page.data.map(row),
            `page ${currentPage} of ${totalPages}, ${count} schedule${count === 1 ? "" : "s"}${more}`,
          ].join("\n");
        });
      } finally {
        await engine.stop();
      }
    });
}
