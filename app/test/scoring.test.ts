import { describe, expect, it } from "vitest";
import { type LeadFacts, MAX_SCORE, SCORING_VERSION, scoreLead } from "../src/crm/scoring/score.js";

const NOW = new Date("2026-01-15T12:00:00Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

const EMPTY: LeadFacts = {
  email: null,
  phone: null,
  company: null,
  jobTitle: null,
  estimatedValue: null,
  stage: "new",
  lastActivityAt: null,
};

const factor = (facts: Partial<LeadFacts>, name: string) =>
  scoreLead({ ...EMPTY, ...facts }, NOW).factors.find((f) => f.factor === name)!;

describe("lead scoring factors", () => {
  it("an empty new lead scores 0 with every factor listed", () => {
    const s = scoreLead(EMPTY, NOW);
    expect(s.score).toBe(0);
    expect(s.version).toBe(SCORING_VERSION);
    expect(s.factors.map((f) => f.factor)).toEqual([
      "email",
      "phone",
      "company",
      "jobTitle",
      "estimatedValue",
      "stage",
      "recentActivity",
    ]);
    expect(s.factors.reduce((sum, f) => sum + f.max, 0)).toBe(MAX_SCORE);
  });

  it("email: +15 on free mail, +25 on a corporate domain, 0 when missing or malformed", () => {
    expect(factor({ email: "ada@gmail.com" }, "email").points).toBe(15);
    expect(factor({ email: "Ada@GMAIL.com" }, "email").points).toBe(15);
    expect(factor({ email: "ada@proton.me" }, "email").points).toBe(15);
    expect(factor({ email: "ada@acme.io" }, "email")).toMatchObject({
      points: 25,
      evidence: "corporate email domain acme.io",
    });
    expect(factor({ email: "gmail.com" }, "email").points).toBe(0);
    expect(factor({ email: "ada@localhost" }, "email").points).toBe(0);
    expect(factor({ email: "   " }, "email").points).toBe(0);
  });

  it("phone: +10 from 7 digits, whatever the formatting", () => {
    expect(factor({ phone: "555-1234" }, "phone").points).toBe(10);
    expect(factor({ phone: "555-123" }, "phone").points).toBe(0);
    expect(factor({ phone: "+44 (20) 7946 0958" }, "phone").points).toBe(10);
    expect(factor({ phone: "n/a" }, "phone").points).toBe(0);
  });

  it("company: +10 when not blank", () => {
    expect(factor({ company: "Acme" }, "company").points).toBe(10);
    expect(factor({ company: "  " }, "company").points).toBe(0);
  });

  it("job title: +15 for C-level and VP, +10 for any other title", () => {
    for (const t of [
      "CEO",
      "cto",
      "Chief Revenue Officer",
      "VP of Sales",
      "SVP Engineering",
      "Vice President, Marketing",
      "Vice-President",
      "Co-Founder",
      "President",
      "Managing Director",
    ]) {
      expect(factor({ jobTitle: t }, "jobTitle").points, t).toBe(15);
    }
    for (const t of [
      "Sales Manager",
      "Director of Sales",
      "Product Owner",
      "Account Executive",
      "Chief of Staff",
      "Coordinator",
    ]) {
      expect(factor({ jobTitle: t }, "jobTitle").points, t).toBe(10);
    }
    expect(factor({ jobTitle: "" }, "jobTitle").points).toBe(0);
  });

  it("estimated value: +10 below 10,000, +15 from 10,000, +20 from 50,000, 0 for none", () => {
    const points = (v: number | null) => factor({ estimatedValue: v }, "estimatedValue").points;
    expect(points(null)).toBe(0);
    expect(points(0)).toBe(0);
    expect(points(-5)).toBe(0);
    expect(points(0.5)).toBe(10);
    expect(points(9_999.99)).toBe(10);
    expect(points(10_000)).toBe(15);
    expect(points(49_999.99)).toBe(15);
    expect(points(50_000)).toBe(20);
    expect(points(5_000_000)).toBe(20);
  });

  it("stage: 0 new, 10 contacted, 20 qualified, 30 proposal, 40 negotiation, 50 won, 0 lost", () => {
    const points = (stage: string) => factor({ stage }, "stage").points;
    expect(["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost"].map(points)).toEqual([
      0, 10, 20, 30, 40, 50, 0,
    ]);
  });

  it("recent activity: +10 within 7 days, +5 within 30, 0 after (boundaries inclusive)", () => {
    const points = (d: Date | null) => factor({ lastActivityAt: d }, "recentActivity").points;
    expect(points(null)).toBe(0);
    expect(points(ago(0))).toBe(10);
    expect(points(ago(7))).toBe(10);
    expect(points(new Date(ago(7).getTime() - 1))).toBe(5);
    expect(points(ago(30))).toBe(5);
    expect(points(new Date(ago(30).getTime() - 1))).toBe(0);
    expect(points(ago(400))).toBe(0);
    // A clock a little ahead on the writer's side must not cost the lead its points.
    expect(points(new Date(NOW.getTime() + 60_000))).toBe(10);
  });
});

/**
 * Twenty leads scored by hand from the rules in docs/crm.md. Columns: email, phone, company,
 * title, value, stage, days since last activity → expected total.
 */
const GOLDEN: Array<
  [string | null, string | null, string | null, string | null, number | null, string, number | null, number]
> = [
  // 25 + 10 + 10 + 15 + 20 + 50 + 10
  ["ceo@acme.com", "+1 555 123 4567", "Acme", "CEO", 75_000, "won", 1, 140],
  [null, null, null, null, null, "new", null, 0],
  // 15
  ["jane@gmail.com", null, null, null, null, "new", null, 15],
  // 25 + 10(company)
  ["jane@initech.com", null, "Initech", null, null, "new", 40, 35],
  // 0 + 10 + 0 + 10 + 0 + 10 + 5
  ["not-an-email", "555-1234", null, "Sales Manager", null, "contacted", 12, 35],
  // 15 + 0 (5 digits) + 10 + 15 + 10 + 20 + 10
  ["bob@yahoo.com", "12345", "Globex", "VP of Sales", 2_500, "qualified", 3, 80],
  // 25 + 10 + 10 + 10 + 15 + 30 + 0
  ["amy@hooli.xyz", "+33 1 23 45 67 89", "Hooli", "Product Owner", 10_000, "proposal", 45, 100],
  // 25 + 0 + 10 + 15 + 20 + 40 + 5
  ["cfo@vandelay.com", null, "Vandelay", "CFO", 50_000, "negotiation", 30, 115],
  // 25 + 10 + 10 + 15 + 20 + 0 (lost) + 10
  ["max@stark.com", "+1 212 555 0100", "Stark", "Chief Technology Officer", 120_000, "lost", 2, 90],
  // 15 + 10 + 0 + 0 + 0 + 0 + 0
  ["zed@hotmail.com", "0612345678", null, null, 0, "new", 31, 25],
  // 0 + 0 + 10 + 10 + 10 + 10 + 10
  [null, null, "Soylent", "Account Executive", 999, "contacted", 7, 50],
  // 25 + 10 + 10 + 15 + 15 + 20 + 5
  ["li@tyrell.ai", "+86 10 1234 5678", "Tyrell", "Co-Founder", 49_999, "qualified", 8, 100],
  // 15 + 10 + 10 + 10 + 20 + 50 + 0
  ["sam@icloud.com", "(415) 555-2671", "Massive Dynamic", "Director of Sales", 250_000, "won", 90, 115],
  // 25 + 0 + 0 + 15 + 0 + 30 + 10
  ["eve@piedpiper.com", "555", null, "Vice President, Marketing", null, "proposal", 0, 80],
  // 25 + 10 + 10 + 10 + 10 + 0 + 0
  ["ops@oceanicair.com", "5551234", "Oceanic Air", "Operations Analyst", 1, "new", null, 65],
  // 0 (blank) + 0 + 0 (blank) + 0 (blank) + 0 + 40 + 0
  ["  ", "  ", "  ", "  ", null, "negotiation", 365, 40],
  // 25 + 10 + 10 + 15 + 10 + 10 + 10
  ["md@wayne.com", "+49 30 123456", "Wayne Analytics", "Managing Director", 9_999, "contacted", 6, 90],
  // 15 + 10 + 10 + 10 + 15 + 20 + 5
  ["kim@gmx.de", "+49 89 1234567", "Umbrella Health", "Chief of Staff", 12_000, "qualified", 29, 85],
  // 25 + 0 + 10 + 15 + 20 + 30 + 10
  ["svp@cyberdyne.net", null, "Cyberdyne", "SVP Engineering", 60_000, "proposal", 5, 110],
  // 15 + 10 + 0 + 10 + 0 + 0 + 10
  ["pat@outlook.com", "+1 (800) 555-0199", null, "IT Administrator", null, "lost", 0.5, 45],
];

describe("golden table of 20 hand-checked leads", () => {
  it.each(GOLDEN.map((g, i) => [i + 1, ...g] as const))(
    "lead %i",
    (_n, email, phone, company, jobTitle, estimatedValue, stage, days, expected) => {
      const s = scoreLead(
        {
          email,
          phone,
          company,
          jobTitle,
          estimatedValue,
          stage,
          lastActivityAt: days === null ? null : ago(days),
        },
        NOW,
      );
      expect(s.score).toBe(expected);
      expect(s.factors.reduce((sum, f) => sum + f.points, 0)).toBe(s.score);
      for (const f of s.factors) expect(f.evidence.length).toBeGreaterThan(0);
    },
  );
});
