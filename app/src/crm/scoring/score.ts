import {
  ACTIVITY_WINDOWS,
  FREE_MAIL_DOMAINS,
  MIN_PHONE_DIGITS,
  SENIOR_TITLE,
  STAGE_POINTS,
  VALUE_BANDS,
} from "./rules.js";

/** Bump when a rule in rules.ts or here changes: history rows record which rules scored them. */
export const SCORING_VERSION = 1;

export const MAX_SCORE = 25 + 10 + 10 + 15 + 20 + 50 + 10;

export interface LeadFacts {
  email: string | null;
  phone: string | null;
  company: string | null;
  jobTitle: string | null;
  estimatedValue: number | null;
  stage: string;
  lastActivityAt: Date | null;
}

export type FactorName =
  | "email"
  | "phone"
  | "company"
  | "jobTitle"
  | "estimatedValue"
  | "stage"
  | "recentActivity";

export interface Factor {
  factor: FactorName;
  points: number;
  max: number;
  /** Why these points: what was seen, in words a salesperson can check. */
  evidence: string;
}

export interface LeadScore {
  score: number;
  version: number;
  factors: Factor[];
}

const EMAIL = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;
const DAY_MS = 86_400_000;

/** 1234567.5 → "1,234,567.5"; Intl's toLocaleString costs ~20× more, and bulk scoring calls this per lead. */
function thousands(n: number): string {
  const [int, frac] = String(n).split(".");
  return int!.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac ? `.${frac}` : "");
}

const blank = (s: string | null | undefined): s is null | undefined | "" => !s || s.trim() === "";

function emailFactor(email: string | null): Factor {
  const max = 25;
  if (blank(email)) return { factor: "email", points: 0, max, evidence: "no email" };
  const match = EMAIL.exec(email.trim().toLowerCase());
  if (!match) return { factor: "email", points: 0, max, evidence: `"${email}" is not an email address` };
  const domain = match[1]!;
  if (FREE_MAIL_DOMAINS.has(domain))
    return { factor: "email", points: 15, max, evidence: `email on free-mail domain ${domain}` };
  return { factor: "email", points: 25, max, evidence: `corporate email domain ${domain}` };
}

function phoneFactor(phone: string | null): Factor {
  const digits = (phone ?? "").replace(/\D/g, "").length;
  if (digits >= MIN_PHONE_DIGITS)
    return { factor: "phone", points: 10, max: 10, evidence: `phone with ${digits} digits` };
  return {
    factor: "phone",
    points: 0,
    max: 10,
    evidence: blank(phone) ? "no phone" : `phone "${phone}" has fewer than ${MIN_PHONE_DIGITS} digits`,
  };
}

function companyFactor(company: string | null): Factor {
  if (blank(company)) return { factor: "company", points: 0, max: 10, evidence: "no company" };
  return { factor: "company", points: 10, max: 10, evidence: `company "${company.trim()}"` };
}

function titleFactor(title: string | null): Factor {
  if (blank(title)) return { factor: "jobTitle", points: 0, max: 15, evidence: "no job title" };
  const t = title.trim();
  const senior = SENIOR_TITLE.exec(t);
  if (senior)
    return {
      factor: "jobTitle",
      points: 15,
      max: 15,
      evidence: `senior title "${t}" (matched "${senior[0]}")`,
    };
  return { factor: "jobTitle", points: 10, max: 15, evidence: `job title "${t}"` };
}

function valueFactor(value: number | null): Factor {
  if (value === null || !Number.isFinite(value) || value <= 0)
    return { factor: "estimatedValue", points: 0, max: 20, evidence: "no estimated value" };
  const band = VALUE_BANDS.find((b) => value >= b.min)!;
  return {
    factor: "estimatedValue",
    points: band.points,
    max: 20,
    evidence: `estimated value ${thousands(value)} (${band.min === 0 ? "any positive value" : `band ≥ ${thousands(band.min)}`})`,
  };
}

function stageFactor(stage: string): Factor {
  const points = STAGE_POINTS[stage] ?? 0;
  return { factor: "stage", points, max: 50, evidence: `stage ${stage}` };
}

function activityFactor(lastActivityAt: Date | null, now: Date): Factor {
  if (!lastActivityAt) return { factor: "recentActivity", points: 0, max: 10, evidence: "no activity" };
  const ageMs = now.getTime() - lastActivityAt.getTime();
  const days = Math.max(0, ageMs) / DAY_MS;
  const window = ACTIVITY_WINDOWS.find((w) => days <= w.days);
  const ago = days < 1 ? "less than a day ago" : `${Math.floor(days)} days ago`;
  if (!window) return { factor: "recentActivity", points: 0, max: 10, evidence: `last activity ${ago}` };
  return {
    factor: "recentActivity",
    points: window.points,
    max: 10,
    evidence: `last activity ${ago} (within ${window.days} days)`,
  };
}

/**
 * Scores a lead by the seed's factors. Pure and deterministic: the same facts and `now` give
 * the same score, so a score can be explained and re-checked from its breakdown. `now` comes
 * from the database clock when scoring runs in a task.
 */
export function scoreLead(lead: LeadFacts, now: Date): LeadScore {
  const factors = [
    emailFactor(lead.email),
    phoneFactor(lead.phone),
    companyFactor(lead.company),
    titleFactor(lead.jobTitle),
    valueFactor(lead.estimatedValue),
    stageFactor(lead.stage),
    activityFactor(lead.lastActivityAt, now),
  ];
  return { score: factors.reduce((sum, f) => sum + f.points, 0), version: SCORING_VERSION, factors };
}
