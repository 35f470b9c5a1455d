import { migrate, openStore } from "@mainspring/engine";
import { engineOptionsFromEnv } from "../env.js";
import { type GlobalOptions, print } from "./shared.js";

export async function migrateCommand(opts: GlobalOptions): Promise<void> {
  const db = await openStore(engineOptionsFromEnv());
  try {
    const { applied } = await migrate(db);
    print(opts, { applied }, () =>
      applied.length ? `applied migrations ${applied.join(", ")}` : "database is up to date",
    );
  } finally {
    await db.close();
  }
}
