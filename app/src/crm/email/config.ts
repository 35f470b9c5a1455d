import { readFileSync } from "node:fs";
import { CrmInputError } from "../errors.js";
import type { Tier } from "../tiers.js";

/**
 * Email settings, read from the environment at each use (tests and operators change them
 * without a restart of the module). Every default is stated in docs/crm.md.
 */
export interface MailConfig {
  /** `smtp://user:pass@host:port` (or smtps://); unset: the local mailbox table. */
  smtpUrl?: string;
  from: string;
  /** Right-hand side of Message-IDs and of the unsubscribe mailto address. */
  domain: string;
  /** Base URL of the public /app routes (one-click unsubscribe). */
  publicUrl: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  /** Messages in flight at once per sender run (SMTP connections in its pool). */
  concurrency: number;
}

/** Messages per second per workspace, by tier (MAIL_RATE_LIMIT_<TIER>; 0 = unlimited). */
export const DEFAULT_RATE_LIMITS: Record<Tier, number> = {
  free: 2,
  starter: 10,
  professional: 50,
  enterprise: 200,
};

export function rateLimitFor(tier: Tier, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[`MAIL_RATE_LIMIT_${tier.toUpperCase()}`];
  if (raw === undefined || raw === "") return DEFAULT_RATE_LIMITS[tier];
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new CrmInputError(
      "MAIL_CONFIG_INVALID",
      `MAIL_RATE_LIMIT_${tier.toUpperCase()} must be a number of messages per second ≥ 0, got "${raw}"`,
    );
  }
  return n;
}

/** Campaigns with more recipients than this wait for an approval (wait token) before sending. */
export function approvalThreshold(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.CAMPAIGN_APPROVAL_THRESHOLD ?? 10_000);
  return Number.isFinite(n) && n >= 0 ? n : 10_000;
}

/** How late a scheduled campaign may start before it is failed instead of sent (ms). */
export function maxLatenessMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.CAMPAIGN_MAX_LATENESS_MINUTES ?? 60);
  return (Number.isFinite(n) && n >= 0 ? n : 60) * 60_000;
}

function domainOf(address: string): string | undefined {
  const m = /@([^\s>]+)>?\s*$/.exec(address);
  return m?.[1];
}

export function mailConfig(env: NodeJS.ProcessEnv = process.env): MailConfig {
  const from = env.MAIL_FROM || "Mainspring CRM <crm@localhost>";
  const domain = env.MAIL_DOMAIN || domainOf(from) || "localhost";
  const publicUrl = (
    env.MAINSPRING_PUBLIC_URL ||
    env.MAINSPRING_API_URL ||
    `http://localhost:${env.PORT || 3030}`
  ).replace(/\/+$/, "");
  let dkim: MailConfig["dkim"];
  const key =
    env.DKIM_PRIVATE_KEY ||
    (env.DKIM_PRIVATE_KEY_FILE ? readFileSync(env.DKIM_PRIVATE_KEY_FILE, "utf8") : "");
  if (key) {
    if (!env.DKIM_SELECTOR) {
      throw new CrmInputError("MAIL_CONFIG_INVALID", "DKIM_PRIVATE_KEY is set but DKIM_SELECTOR is not");
    }
    dkim = { domainName: env.DKIM_DOMAIN || domain, keySelector: env.DKIM_SELECTOR, privateKey: key };
  }
  const concurrency = Number(env.MAIL_CONCURRENCY ?? 10);
  return {
    smtpUrl: env.SMTP_URL || undefined,
    from,
    domain,
    publicUrl,
    dkim,
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? Math.min(concurrency, 100) : 10,
  };
}
