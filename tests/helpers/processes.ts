import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURE_CONFIG = fileURLToPath(
  new URL("../fixtures/project/mainspring.config.ts", import.meta.url),
);
const BIN = `${root}packages/cli/bin/mainspring.js`;

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `mainspring <args>` as a child process; resolves once it prints `readyText`. */
export async function spawnMainspring(
  args: string[],
  env: Record<string, string>,
  readyText: string | null = "ready",
): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN, "--config", FIXTURE_CONFIG, ...args], {
    // PORT 0: processes that serve the HTTP API pick a free port, so parallel tests never collide
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  if (readyText) {
    await new Promise<void>((resolve, reject) => {
      // A first start on a fresh folder creates the embedded database (PGlite's initdb), and this
      // 2-core machine runs two suites at once: give it time before calling it stuck.
      const timer = setTimeout(() => reject(new Error(`process did not get ready:\n${out}`)), 60_000);
      const check = () => {
        if (out.includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", check);
      child.on("exit", () => {
        clearTimeout(timer);
        reject(new Error(`process exited before getting ready:\n${out}`));
      });
      check();
    });
  }
  return { child, output: () => out, exited };
}

/** A `mainspring worker` child on the test PostgreSQL schema, tracked in `children` for cleanup. */
export function postgresWorkers(schema: () => string, children: Spawned[], databaseUrl: string) {
  return async (env: Record<string, string> = {}): Promise<Spawned> => {
    const spawned = await spawnMainspring(["worker"], {
      DATABASE_URL: databaseUrl,
      MAINSPRING_DB_SCHEMA: schema(),
      ...env,
    });
    children.push(spawned);
    return spawned;
  };
}
