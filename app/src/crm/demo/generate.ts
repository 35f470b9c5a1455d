import type { NewProspect, Stage } from "../prospects.js";

/** A small seeded PRNG (mulberry32): the same seed gives the same demo data on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Katherine",
  "Linus",
  "Margaret",
  "Tim",
  "Barbara",
  "Dennis",
  "Frances",
  "Ken",
  "Radia",
  "Guido",
  "Hedy",
  "John",
  "Sophie",
  "Yukihiro",
  "Anita",
  "Bjarne",
  "Shafi",
  "Leslie",
  "Donald",
  "Edsger",
  "Jean",
  "Niklaus",
  "Carol",
  "Ivan",
  "Mary",
  "Whitfield",
  "Annie",
];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Johnson",
  "Torvalds",
  "Hamilton",
  "Berners-Lee",
  "Liskov",
  "Ritchie",
  "Allen",
  "Thompson",
  "Perlman",
  "van Rossum",
  "Lamarr",
  "McCarthy",
  "Wilson",
  "Matsumoto",
  "Borg",
  "Stroustrup",
  "Goldwasser",
  "Lamport",
  "Knuth",
  "Dijkstra",
  "Sammet",
  "Wirth",
  "Shaw",
  "Sutherland",
  "Keller",
  "Diffie",
  "Easley",
];
const COMPANIES: Array<[string, string]> = [
  ["Acme Robotics", "acmerobotics.com"],
  ["Northwind Traders", "northwind.io"],
  ["Globex", "globex.com"],
  ["Initech", "initech.com"],
  ["Umbrella Health", "umbrellahealth.org"],
  ["Stark Logistics", "starklogistics.com"],
  ["Wayne Analytics", "wayneanalytics.com"],
  ["Hooli", "hooli.xyz"],
  ["Vandelay Imports", "vandelay.com"],
  ["Soylent Foods", "soylent.co"],
  ["Tyrell Systems", "tyrell.ai"],
  ["Cyberdyne", "cyberdyne.net"],
  ["Oceanic Air", "oceanicair.com"],
  ["Massive Dynamic", "massivedynamic.com"],
  ["Pied Piper", "piedpiper.com"],
];
const FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"];
const TITLES = [
  "CEO",
  "CTO",
  "CFO",
  "VP of Sales",
  "Vice President, Marketing",
  "SVP Engineering",
  "Chief Revenue Officer",
  "Founder",
  "Head of Growth",
  "Sales Manager",
  "Marketing Director",
  "Account Executive",
  "Software Engineer",
  "Operations Analyst",
  "Product Manager",
  "Procurement Specialist",
  "IT Administrator",
  "Office Manager",
];
const STAGES: Array<[Stage, number]> = [
  ["new", 35],
  ["contacted", 25],
  ["qualified", 15],
  ["proposal", 10],
  ["negotiation", 6],
  ["won", 5],
  ["lost", 4],
];
const SOURCES = ["website", "referral", "webinar", "trade-show", "outbound", "import"];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function weighted<T>(r: () => number, list: Array<[T, number]>): T {
  const total = list.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of list) {
    x -= w;
    if (x < 0) return v;
  }
  return list[list.length - 1]![0];
}

/**
 * Realistic leads: most with a corporate address, some on free mail, some with gaps (no
 * phone, no title, no value), stages weighted towards the top of the funnel, activity spread
 * over the last 90 days. `now` anchors the activity dates.
 */
export function generateProspects(count: number, seed: number, now: Date): NewProspect[] {
  const r = rng(seed);
  const out: NewProspect[] = [];
  for (let i = 0; i < count; i++) {
    const first = pick(r, FIRST);
    const last = pick(r, LAST);
    const [company, domain] = pick(r, COMPANIES);
    const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
    const mail = r();
    const email =
      mail < 0.65 ? `${local}${i}@${domain}` : mail < 0.9 ? `${local}${i}@${pick(r, FREE_MAIL)}` : null;
    const hasCompany = mail < 0.65 || r() < 0.5;
    const value = r();
    const activity = r();
    out.push({
      firstName: first,
      lastName: last,
      email,
      phone:
        r() < 0.7
          ? `+1 555 ${String(1000000 + Math.floor(r() * 8999999)).slice(0, 3)} ${String(Math.floor(r() * 10000)).padStart(4, "0")}`
          : null,
      company: hasCompany ? company : null,
      jobTitle: r() < 0.8 ? pick(r, TITLES) : null,
      estimatedValue:
        value < 0.25
          ? null
          : value < 0.6
            ? Math.round(500 + r() * 9000)
            : value < 0.9
              ? Math.round(10_000 + r() * 39_000)
              : Math.round(50_000 + r() * 200_000),
      stage: weighted(r, STAGES),
      source: pick(r, SOURCES),
      lastActivityAt: activity < 0.2 ? null : new Date(now.getTime() - Math.floor(r() * 90 * 86_400_000)),
    });
  }
  return out;
}
