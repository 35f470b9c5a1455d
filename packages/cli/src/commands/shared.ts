import { type Engine, type EngineOptions, startEngine } from "@mainspring/engine";
import { loadProject } from "../discover.js";
import { engineOptionsFromEnv } from "../env.js";

export interface GlobalOptions {
  config: string;
  json?: boolean;
}

/** Loads the project's tasks and opens an engine with settings from the environment. */
export async function openEngine(
  opts: GlobalOptions,
  overrides: Partial<EngineOptions> = {},
): Promise<{ engine: Engine; project: Awaited<ReturnType<typeof loadProject>> }> {
  const project = await loadProject(opts.config);
  const fromEnv = engineOptionsFromEnv();
  const envWorker = fromEnv.worker || {};
  const engine = await startEngine({
    ...fromEnv,
    config: project.config,
    ...overrides,
    worker:
      overrides.worker === false
        ? false
        : { ...envWorker, concurrency: envWorker.concurrency ?? project.config.concurrency },
    onError: (error, where) =>
      console.error(`[mainspring] ${where}: ${error instanceof Error ? error.message : error}`),
  });
  try {
    await project.config.setup?.({ db: engine.db, worker: engine.worker !== undefined });
  } catch (error) {
    await engine.stop(0);
    throw error;
  }
  return { engine, project };
}

/** Runs `fn` with a trigger-only engine (no worker, no maintenance), then stops it. */
export async function withEngine<T>(opts: GlobalOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const { engine } = await openEngine(opts, { worker: false, maintenance: false });
  try {
    return await fn(engine);
  } finally {
    await engine.stop();
  }
}

export function print(opts: GlobalOptions, value: unknown, human: () => string): void {
  console.log(opts.json ? JSON.stringify(value, null, 2) : human());
}
