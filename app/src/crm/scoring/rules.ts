/**
 * The thresholds of lead scoring, in one place (docs/crm.md lists them). Changing any of them
 * changes scores: bump SCORING_VERSION in score.ts so history rows say which rules applied.
 */

/** Consumer mailbox providers: an address here is a person, not a company (no corporate bonus). */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  "gmail.com",
  "googlemail.com",
  "yahoo.com",
  "yahoo.co.uk",
  "yahoo.fr",
  "ymail.com",
  "hotmail.com",
  "hotmail.co.uk",
  "hotmail.fr",
  "outlook.com",
  "live.com",
  "msn.com",
  "aol.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "proton.me",
  "protonmail.com",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "mail.com",
  "zoho.com",
  "yandex.com",
  "yandex.ru",
  "mail.ru",
  "qq.com",
  "163.com",
  "126.com",
  "fastmail.com",
  "hey.com",
  "tutanota.com",
  "orange.fr",
  "free.fr",
  "laposte.net",
  "libero.it",
  "t-online.de",
  "comcast.net",
  "verizon.net",
  "att.net",
]);

/**
 * C-level and VP titles (+15 instead of +10). Word-bounded, case-insensitive. "Vice President",
 * "VP", "SVP", "EVP", "AVP", the C-suite abbreviations and their spelled-out forms, plus
 * "Chief … Officer", founders, presidents and managing directors.
 */
export const SENIOR_TITLE =
  /\b(c[eftoimrps]o|ciso|cdo|chief\b.*\bofficer|founder|co-?founder|president|vice[\s-]+president|[seaf]?vp|managing\s+director|general\s+partner)\b/i;

/** Estimated deal value bands, in the workspace's currency. Below the first band: 0 points. */
export const VALUE_BANDS: ReadonlyArray<{ min: number; points: number }> = [
  { min: 50_000, points: 20 },
  { min: 10_000, points: 15 },
  { min: 0, points: 10 }, // any positive value
];

/** Stage progression: 0 for a new lead up to +50 for a won deal; a lost deal earns nothing. */
export const STAGE_POINTS: Readonly<Record<string, number>> = {
  new: 0,
  contacted: 10,
  qualified: 20,
  proposal: 30,
  negotiation: 40,
  won: 50,
  lost: 0,
};

/** Recent activity: within 7 days +10, within 30 days +5 (windows inclusive, by elapsed time). */
export const ACTIVITY_WINDOWS: ReadonlyArray<{ days: number; points: number }> = [
  { days: 7, points: 10 },
  { days: 30, points: 5 },
];

/** A phone counts when it has at least this many digits (shorter is an extension or a typo). */
export const MIN_PHONE_DIGITS = 7;
