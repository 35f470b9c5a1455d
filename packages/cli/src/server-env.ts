import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerOptions } from "@mainspring/server";

/** The dashboard's build in this repository, served when it has been built. */
const BUILT_DASHBOARD = fileURLToPath(new URL("../../dashboard/dist", import.meta.url));

/** HTTP API settings from the environment (see the README's configuration table). */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<ServerOptions, "engine"> {
  const port = env.PORT === undefined || env.PORT === "" ? 3030 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const rate = env.MAINSPRING_RATE_LIMIT;
  const requestsPerMinute = rate === undefined || rate === "" ? undefined : Number(rate);
  if (requestsPerMinute !== undefined && (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 0)) {
    throw new Error(
      `MAINSPRING_RATE_LIMIT must be a whole number of requests per minute (0: no limit), got "${rate}"`,
    );
  }
  return {
    port,
    host: env.HOST || undefined,
    publicUrl: env.MAINSPRING_API_URL || undefined,
    jwtSecret: env.MAINSPRING_JWT_SECRET || undefined,
    dashboardPassword: env.MAINSPRING_DASHBOARD_PASSWORD?.trim()
      ? env.MAINSPRING_DASHBOARD_PASSWORD
      : undefined,
    corsOrigins: env.MAINSPRING_CORS_ORIGINS
      ? env.MAINSPRING_CORS_ORIGINS.split(",").map((o) => o.trim())
      : undefined,
    limits: requestsPerMinute === undefined ? undefined : { requestsPerMinute },
    staticDir: env.MAINSPRING_DASHBOARD_DIR
      ? resolve(env.MAINSPRING_DASHBOARD_DIR)
      : existsSync(BUILT_DASHBOARD)
        ? BUILT_DASHBOARD
        : undefined,
  };
}
