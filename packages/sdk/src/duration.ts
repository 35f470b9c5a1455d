import { MainspringError } from "./errors.js";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|hr|h|d|w|y)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|hr|h|d|w|y))+$/;

/**
 * Parses Trigger.dev duration strings: "30s", "15m", "2h", "1d", "1w", and combinations
 * such as "1h30m". Returns milliseconds; throws INVALID_DURATION with the bad input named.
 */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (!WHOLE.test(text)) {
    throw new MainspringError(
      "INVALID_DURATION",
      `"${input}" is not a duration. Use a number and a unit, e.g. "30s", "15m", "2h", "3d", "1w" or "1h30m".`,
    );
  }
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}

/**
 * Resolves `delay`-like values to an absolute date: a duration string counts from `now`,
 * a Date or an ISO date string is taken as is.
 */
export function resolveDate(value: string | Date, now: Date = new Date()): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new MainspringError("INVALID_DURATION", "Invalid Date given");
    return value;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime()))
      throw new MainspringError("INVALID_DURATION", `"${value}" is not a valid ISO date`);
    return date;
  }
  return new Date(now.getTime() + parseDuration(value));
}

/** A TTL is a duration string or a number of seconds (Trigger.dev accepts both). */
export function ttlToSeconds(ttl: string | number): number {
  if (typeof ttl === "number") {
    if (!Number.isFinite(ttl) || ttl <= 0)
      throw new MainspringError("INVALID_DURATION", `ttl must be a positive number of seconds, got ${ttl}`);
    return ttl;
  }
  return parseDuration(ttl) / 1000;
}
