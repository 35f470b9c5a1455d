import { currentRun, type LogLevel } from "./run-scope.js";
import type { JsonValue } from "./types.js";

function log(level: LogLevel, message: string, data?: Record<string, JsonValue>): void {
  const scope = currentRun();
  if (scope) {
    scope.log(level, message, data);
    return;
  }
  const line = data ? `${message} ${JSON.stringify(data)}` : message;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Trigger.dev's `logger`: inside a run, lines are stored with the run's attempt. */
export const logger = {
  debug: (message: string, data?: Record<string, JsonValue>) => log("debug", message, data),
  log: (message: string, data?: Record<string, JsonValue>) => log("info", message, data),
  info: (message: string, data?: Record<string, JsonValue>) => log("info", message, data),
  warn: (message: string, data?: Record<string, JsonValue>) => log("warn", message, data),
  error: (message: string, data?: Record<string, JsonValue>) => log("error", message, data),
};
