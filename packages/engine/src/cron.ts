/** Cron patterns through croner: parsing with time zones, slots, and plain-English descriptions. */

import { MainspringError, validateSchedule } from "@mainspring/sdk";
import { Cron } from "croner";

/** Croner evaluates the patterns: 5 fields, or 6 with seconds first; day-of-month OR day-of-week. */
export function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, mode: "5-or-6-parts" });
}

/**
 * Validates a pattern and time zone (the SDK's checks, then croner's) and returns the compiled
 * cron. A pattern that matches no date at all (e.g. "0 0 31 2 *") is invalid too.
 */
export function compile(
  cron: string,
  timezone: string | undefined,
  where: string,
  now: Date,
): { pattern: string; timezone: string; cron: Cron } {
  const valid = validateSchedule(cron, timezone, where);
  let compiled: Cron;
  try {
    compiled = cronOf(valid.pattern, valid.timezone);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Cron\w*: /, "") : String(error);
    throw new MainspringError(
      "INVALID_SCHEDULE",
      `${where}: invalid cron pattern "${valid.pattern}": ${reason}`,
    );
  }
  if (compiled.nextRun(now) === null) {
    throw new MainspringError(
      "INVALID_SCHEDULE",
      `${where}: cron pattern "${valid.pattern}" never matches a date, so it would never fire`,
    );
  }
  return { ...valid, cron: compiled };
}

/**
 * The slot to fire for a due schedule: the latest slot at or before the database's `now`,
 * and never earlier than `next_run_at`. After downtime this is the most recent missed slot,
 * once: earlier missed slots are skipped, not replayed as a backlog.
 */
export function slotToFire(cron: Cron, nextRunAt: Date, now: Date): Date {
  const latest = cron.previousRuns(1, new Date(now.getTime() + 1))[0];
  return latest && latest.getTime() > nextRunAt.getTime() ? latest : nextRunAt;
}

/** The first slot after `after` that is also after `now` (null if the pattern has no more). */
export function nextSlot(cron: Cron, after: Date, now: Date): Date | null {
  const next = cron.nextRun(after);
  if (next && next.getTime() <= now.getTime()) return cron.nextRun(now);
  return next;
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES = [
  "",
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const NICKNAMES: Record<string, string> = {
  "@yearly": "At 00:00, on day 1 of the month, in January",
  "@annually": "At 00:00, on day 1 of the month, in January",
  "@monthly": "At 00:00, on day 1 of the month",
  "@weekly": "At 00:00, only on Sunday",
  "@daily": "At 00:00, every day",
  "@midnight": "At 00:00, every day",
  "@hourly": "Every hour",
};

/** "MON-FRI" -> "1-5", "JAN,JUL" -> "1,7". */
function namesToNumbers(field: string, names: string[]): string {
  return field.toUpperCase().replace(/[A-Z]{3}/g, (n) => {
    const i = names.findIndex((name) => name.slice(0, 3).toUpperCase() === n);
    return i < 0 ? n : String(i);
  });
}

/** "1-5" -> "Monday through Friday"; undefined for fields with steps, L, W or #. */
function spell(field: string, names: string[]): string | undefined {
  if (!/^[\d,-]+$/.test(field)) return undefined;
  return field
    .replace(/\d+/g, (n) => names[Number(n)] ?? n)
    .replace(/-/g, " through ")
    .replace(/,/g, ", ");
}

/** A short English description of a cron pattern (Trigger.dev shows one as `generator.description`). */
export function describeCron(pattern: string): string {
  const nickname = NICKNAMES[pattern.trim().toLowerCase()];
  if (nickname) return nickname;
  const fields = pattern.trim().split(/\s+/);
  const withSeconds = fields.length === 6;
  const [sec = "0", min = "*", hour = "*", dom = "*", mon = "*", dow = "*"] = withSeconds
    ? fields
    : ["0", ...fields];
  const any = (f: string) => f === "*" || f === "?";
  const num = (f: string) => /^\d+$/.test(f);
  const step = (f: string) => /^\*\/(\d+)$/.exec(f)?.[1];
  const two = (f: string) => f.padStart(2, "0");

  let time: string;
  if (num(sec) && num(min) && num(hour))
    time = `At ${two(hour)}:${two(min)}${sec === "0" ? "" : `:${two(sec)}`}`;
  else if (any(sec) && any(min) && any(hour)) time = "Every second";
  else if (step(sec) && any(min) && any(hour)) time = `Every ${step(sec)} seconds`;
  else if (sec === "0" && any(min) && any(hour)) time = "Every minute";
  else if (sec === "0" && step(min) && any(hour)) time = `Every ${step(min)} minutes`;
  else if (sec === "0" && num(min) && any(hour))
    time = min === "0" ? "Every hour" : `At ${min} minutes past the hour`;
  else if (sec === "0" && num(min) && step(hour))
    time = `At ${min} minutes past the hour, every ${step(hour)} hours`;
  else {
    const parts = [sec !== "0" ? `second ${sec}` : "", `minute ${min}`, any(hour) ? "" : `hour ${hour}`];
    time = `At ${parts.filter(Boolean).join(", ")}`;
  }
  const days: string[] = [];
  if (!any(dom)) days.push(dom === "L" ? "on the last day of the month" : `on day ${dom} of the month`);
  if (!any(dow)) {
    const spelled = spell(namesToNumbers(dow, DAY_NAMES), DAY_NAMES);
    days.push(spelled ? `only on ${spelled}` : `on day-of-week ${dow}`);
  }
  if (!any(mon)) {
    const spelled = spell(namesToNumbers(mon, MONTH_NAMES), MONTH_NAMES);
    days.push(spelled ? `in ${spelled}` : `in month ${mon}`);
  }
  if (days.length === 0 && time.startsWith("At ") && num(hour)) days.push("every day");
  return [time, ...days].join(", ");
}
