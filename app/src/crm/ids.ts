import { randomBytes } from "node:crypto";

/** Prefixed random ids (`ws_…`, `pr_…`): readable in logs, never guessable across tenants. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}
