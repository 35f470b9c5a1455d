import { createKey, type KeyEnvironment, listKeys, revokeKey } from "@mainspring/server";
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalOptions, print, withEngine } from "./shared.js";

function environment(value: string): KeyEnvironment {
  if (value !== "dev" && value !== "prod") throw new InvalidArgumentError('use "dev" or "prod"');
  return value;
}

/** `mainspring keys create|list|revoke`: secret API keys (only their hash is stored). */
export function keysCommand(program: Command): void {
  const keys = program.command("keys").description("manage secret API keys for the HTTP API");
  keys
    .command("create")
    .description("create a secret key; it is shown once")
    .option("-n, --name <name>", "what the key is for", "default")
    .option("-e, --env <env>", "dev or prod (the key's prefix: tr_dev_sk_ / tr_prod_sk_)", environment, "dev")
    .action(async (o: { name: string; env: KeyEnvironment }) => {
      const created = await withEngine(program.opts<GlobalOptions>(), (e) =>
        createKey(e.db, { name: o.name, environment: o.env }),
      );
      print(program.opts(), { key: created.key, ...created.record }, () =>
        [
          `created key ${created.record.id} (${created.record.name})`,
          "",
          `  ${created.key}`,
          "",
          "Store it now: only its hash is kept. Use it as TRIGGER_SECRET_KEY / MAINSPRING_SECRET_KEY.",
        ].join("\n"),
      );
    });
  keys.command("list").action(async () => {
    const all = await withEngine(program.opts<GlobalOptions>(), (e) => listKeys(e.db));
    print(
      program.opts(),
      all,
      () =>
        all
          .map(
            (k) =>
              `${k.id}  ${k.prefix}…  ${k.name.padEnd(16)} ${k.revokedAt ? "revoked" : "active "}  last used ${k.lastUsedAt?.toISOString() ?? "never"}`,
          )
          .join("\n") || "(no keys)",
    );
  });
  keys.command("revoke <keyId>").action(async (id: string) => {
    const revoked = await withEngine(program.opts<GlobalOptions>(), (e) => revokeKey(e.db, id));
    if (!revoked) throw Object.assign(new Error(`No active key "${id}"`), { code: "KEY_NOT_FOUND" });
    print(
      program.opts(),
      { id, revoked: true },
      () => `revoked ${id} (every server stops accepting it within 10 s)`,
    );
  });
}
