import { MainspringError } from "../errors.js";
import { HttpRuntime } from "./http-runtime.js";

/** Trigger.dev's `configure()` options, for Mainspring's HTTP API. */
export interface ConfigureOptions {
  /** The server, e.g. "http://localhost:3030". Default: `MAINSPRING_API_URL` or `TRIGGER_API_URL`. */
  baseURL?: string;
  /**
   * A secret key (`mainspring keys create`) or a public access token. Default:
   * `MAINSPRING_SECRET_KEY` or `TRIGGER_SECRET_KEY`.
   */
  accessToken?: string;
  /** Trigger.dev's older name for `accessToken`. */
  secretKey?: string;
  /** A `fetch` to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

const env = (...names: string[]): string | undefined => {
  for (const name of names) {
    const value = process.env[name]?.trim();
    if (value) return value;
  }
  return undefined;
};

const envURL = () => env("MAINSPRING_API_URL", "TRIGGER_API_URL");
const envKey = () => env("MAINSPRING_SECRET_KEY", "TRIGGER_SECRET_KEY");

let configured: HttpRuntime | undefined;
let fromEnv: { url: string; key: string; runtime: HttpRuntime } | undefined;

/**
 * Points the SDK at a Mainspring server: in a process without an engine, `tasks.trigger`,
 * `runs.*`, `batch.*`, `wait.*Token`, `schedules.*` and `stream.read()` then go over HTTP.
 * Unset options come from the environment. An engine started in this process still takes
 * precedence (it registers itself with `setRuntime`).
 */
export function configure(options: ConfigureOptions = {}): void {
  const baseURL = options.baseURL || envURL();
  const accessToken = options.accessToken || options.secretKey || envKey();
  if (!baseURL) {
    throw new MainspringError(
      "CONFIG_INVALID",
      "configure: no baseURL; pass one or set MAINSPRING_API_URL (or TRIGGER_API_URL)",
    );
  }
  if (!accessToken) {
    throw new MainspringError(
      "CONFIG_INVALID",
      "configure: no accessToken; pass one or set MAINSPRING_SECRET_KEY (or TRIGGER_SECRET_KEY)",
    );
  }
  configured = new HttpRuntime({ baseURL, accessToken, fetch: options.fetch });
}

/** Forgets what `configure()` set (tests); the environment fallback still applies. */
export function resetConfiguration(): void {
  configured = undefined;
  fromEnv = undefined;
}

/**
 * The remote runtime `getRuntime()` falls back to when no engine registered itself: the one
 * `configure()` made, else one built from the environment (re-read on each call, so a changed
 * variable takes effect). Undefined when neither is set.
 */
export function remoteRuntime(): HttpRuntime | undefined {
  if (configured) return configured;
  const url = envURL();
  if (!url) return undefined;
  const key = envKey();
  if (!key) {
    throw new MainspringError(
      "NO_RUNTIME",
      `No engine runs in this process and the API at ${url} (MAINSPRING_API_URL / TRIGGER_API_URL) has no key: ` +
        "set MAINSPRING_SECRET_KEY (or TRIGGER_SECRET_KEY) to a key from `mainspring keys create`, or call configure()",
    );
  }
  if (fromEnv?.url !== url || fromEnv.key !== key) {
    fromEnv = { url, key, runtime: new HttpRuntime({ baseURL: url, accessToken: key }) };
  }
  return fromEnv.runtime;
}
