/**
 * Builds the dashboard into packages/dashboard/dist when the build is missing or older than its
 * sources (this package's src/, index.html, config, and @mainspring/react's src/), so
 * `npm ci && npm start` serves it with no extra step: the root `prestart` runs this. A fresh
 * build takes a few seconds; when dist is current it only compares file times (milliseconds).
 *
 *   tsx packages/dashboard/build.ts           build if stale
 *   tsx packages/dashboard/build.ts --force   build anyway
 *
 * The build goes to a temporary folder that replaces dist in two renames, so a server or a
 * second build running meanwhile never sees half a dist.
 */
import { existsSync } from "node:fs";
import { readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARD_DIR = fileURLToPath(new URL(".", import.meta.url));
export const DIST_DIR = join(DASHBOARD_DIR, "dist");
/** Written last: its time is the build's time, and its presence says the build finished. */
const STAMP = ".built";
const SOURCES = [
  join(DASHBOARD_DIR, "src"),
  join(DASHBOARD_DIR, "index.html"),
  join(DASHBOARD_DIR, "vite.config.ts"),
  join(DASHBOARD_DIR, "package.json"),
  join(DASHBOARD_DIR, "..", "react", "src"),
  join(DASHBOARD_DIR, "..", "sdk", "src", "types.ts"),
];

async function newestMtime(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

/** True when dist exists, finished, and is newer than every source file. */
export async function isDashboardFresh(): Promise<boolean> {
  const stamp = join(DIST_DIR, STAMP);
  if (!existsSync(stamp)) return false;
  const built = (await stat(stamp)).mtimeMs;
  const sources = await Promise.all(SOURCES.map(newestMtime));
  return Math.max(...sources) <= built;
}

/** Builds when stale (or when forced); returns whether it built and how long it took. */
export async function ensureDashboardBuilt(options: { force?: boolean } = {}): Promise<{
  built: boolean;
  ms: number;
}> {
  const started = performance.now();
  if (!options.force && (await isDashboardFresh())) return { built: false, ms: performance.now() - started };
  const { build } = await import("vite");
  const tmp = join(DASHBOARD_DIR, `dist.tmp-${process.pid}-${Date.now()}`);
  try {
    await build({
      configFile: join(DASHBOARD_DIR, "vite.config.ts"),
      mode: "production",
      logLevel: "warn",
      build: { outDir: tmp, emptyOutDir: true },
    });
    await writeFile(join(tmp, STAMP), new Date().toISOString());
    const old = `${DIST_DIR}.old-${process.pid}-${Date.now()}`;
    try {
      if (existsSync(DIST_DIR)) await rename(DIST_DIR, old);
      await rename(tmp, DIST_DIR);
    } catch (error) {
      // another process (two test files at once) swapped its own build in meanwhile: keep it
      if (!(await isDashboardFresh())) throw error;
    }
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { built: true, ms: performance.now() - started };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { built, ms } = await ensureDashboardBuilt({ force: process.argv.includes("--force") });
  if (built) console.log(`dashboard: built packages/dashboard/dist in ${(ms / 1000).toFixed(1)} s`);
}
