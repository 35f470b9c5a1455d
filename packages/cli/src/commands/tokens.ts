import type { WaitTokenStatus } from "@mainspring/sdk";
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalOptions, print, withEngine } from "./shared.js";

function json(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`not valid JSON: ${value}`);
  }
}

/** `mainspring tokens list|get|complete`: wait tokens from the command line. */
export function tokensCommand(program: Command): void {
  const tokens = program.command("tokens").description("inspect and complete wait tokens");
  tokens
    .command("list")
    .option("--status <status>", "WAITING, COMPLETED or TIMED_OUT")
    .option("--tag <tag>", "only tokens with this tag")
    .option("--limit <n>", "page size (max 100)", Number, 25)
    .action(async (o) => {
      const page = await withEngine(program.opts<GlobalOptions>(), (e) =>
        e.listTokens({ status: o.status as WaitTokenStatus | undefined, tags: o.tag, limit: o.limit }),
      );
      print(program.opts(), page, () =>
        page.data
          .map((t) => `${t.id}  ${t.status.padEnd(10)} ${t.createdAt.toISOString()}  ${t.tags.join(", ")}`)
          .join("\n"),
      );
    });

  tokens.command("get <tokenId>").action(async (id: string) => {
    const token = await withEngine(program.opts<GlobalOptions>(), (e) => e.retrieveToken(id));
    print(program.opts(), token, () => JSON.stringify(token, null, 2));
  });

  tokens
    .command("complete <tokenId>")
    .description("complete a token; the runs waiting on it resume")
    .option("-d, --data <json>", "data the waiting runs receive", json)
    .action(async (id: string, o) => {
      const result = await withEngine(program.opts<GlobalOptions>(), (e) => e.completeToken(id, o.data));
      print(program.opts(), result, () => `completed ${id}`);
    });
}
