import { readdirSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type MainspringConfig, MainspringError, noteTaskLocation } from "@mainspring/sdk";

const SOURCE = new Set([".ts", ".mts", ".js", ".mjs", ".tsx"]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== "node_modules" && !entry.startsWith(".")) out.push(...sourceFiles(path));
    } else if (SOURCE.has(extname(entry)) && !/\.(test|spec|d)\.[mc]?[jt]sx?$/.test(entry)) {
      out.push(path);
    }
  }
  return out;
}

function isTask(value: unknown): value is { id: string; trigger: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { id?: unknown }).id === "string" &&
    typeof (value as { trigger?: unknown }).trigger === "function"
  );
}

export interface LoadedConfig {
  config: MainspringConfig;
  configPath: string;
  /** Task id → file (relative to the config) and export name. */
  tasks: Map<string, { file: string; exportName: string }>;
}

/**
 * Loads `mainspring.config.ts` and imports every file under its `dirs`; each exported task is
 * registered, with its file and export name kept for `ctx.task`. Two exports with one id in
 * different places are an error, as in Trigger.dev.
 */
export async function loadProject(configPath: string): Promise<LoadedConfig> {
  const absolute = resolve(configPath);
  let config: MainspringConfig;
  try {
    statSync(absolute);
  } catch {
    throw new MainspringError(
      "CONFIG_INVALID",
      `No config file at ${absolute}. Create one with defineConfig({ dirs: ["./src/trigger"] }).`,
    );
  }
  const mod = await import(pathToFileURL(absolute).href);
  config = (mod.default ?? mod.config ?? {}) as MainspringConfig;
  const root = dirname(absolute);
  const tasks = new Map<string, { file: string; exportName: string; value: unknown }>();
  for (const dir of config.dirs ?? ["./src/trigger"]) {
    const folder = resolve(root, dir);
    for (const file of sourceFiles(folder)) {
      const exports = await import(pathToFileURL(file).href);
      for (const [exportName, value] of Object.entries(exports)) {
        if (!isTask(value)) continue;
        const rel = relative(root, file);
        const seen = tasks.get(value.id);
        if (seen && seen.value !== value) {
          throw new MainspringError(
            "CONFIG_INVALID",
            `Task id "${value.id}" is defined twice: ${seen.file} (${seen.exportName}) and ${rel} (${exportName})`,
          );
        }
        if (!seen) {
          tasks.set(value.id, { file: rel, exportName, value });
          noteTaskLocation(value.id, rel, exportName);
        }
      }
    }
  }
  return {
    config,
    configPath: absolute,
    tasks: new Map([...tasks].map(([id, t]) => [id, { file: t.file, exportName: t.exportName }])),
  };
}
