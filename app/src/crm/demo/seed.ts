import type { CrmDb } from "../../db/store.js";
import { createDocuments } from "../documents.js";
import { newId } from "../ids.js";
import { insertProspects } from "../prospects.js";
import type { Tier } from "../tiers.js";
import { createWorkspace, type Workspace } from "../workspaces.js";
import { DEMO_DOCUMENTS } from "./corpus.js";
import { generateProspects } from "./generate.js";

export const DEMO_WORKSPACES: Array<{ name: string; slug: string; tier: Tier; prospects: number }> = [
  { name: "Lemonade Stand (demo, free)", slug: "demo-free", tier: "free", prospects: 40 },
  { name: "Brightwave Studio (demo, starter)", slug: "demo-starter", tier: "starter", prospects: 150 },
  {
    name: "Northwind Traders (demo, professional)",
    slug: "demo-professional",
    tier: "professional",
    prospects: 400,
  },
  {
    name: "Globex Corporation (demo, enterprise)",
    slug: "demo-enterprise",
    tier: "enterprise",
    prospects: 1_200,
  },
];

/** Separate from the migration lock: two starters seed once. */
const SEED_LOCK = 7263543;

export interface SeedResult {
  workspaces: Workspace[];
  prospects: number;
  documents: number;
}

/**
 * Seeds one demo workspace per tier, with generated prospects (a fixed PRNG seed per
 * workspace) and the demo knowledge base, when the CRM has no workspace at all. One
 * transaction under an advisory lock: two processes starting together seed once, and a crash
 * leaves nothing half-seeded. Returns undefined when there was something already.
 */
export async function seedDemoIfEmpty(db: CrmDb): Promise<SeedResult | undefined> {
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(${SEED_LOCK})`);
    const { rows } = await tx.query<{ any: boolean }>("select exists (select 1 from crm_workspaces) as any");
    if (rows[0]?.any) return undefined;
    const now = new Date((await tx.query<{ now: Date }>("select now() as now")).rows[0]!.now);
    const workspaces: Workspace[] = [];
    let prospects = 0;
    let documents = 0;
    for (const [i, spec] of DEMO_WORKSPACES.entries()) {
      const ws = await createWorkspace(tx, {
        id: newId("ws"),
        name: spec.name,
        slug: spec.slug,
        tier: spec.tier,
        isDemo: true,
      });
      workspaces.push(ws);
      await tx.query(
        "insert into crm_users (id, workspace_id, email, name, role) values ($1, $2, $3, $4, 'owner')",
        [newId("usr"), ws.id, `owner@${spec.slug}.example`, "Demo Owner"],
      );
      prospects += (await insertProspects(tx, ws.id, generateProspects(spec.prospects, 1_000 + i, now)))
        .length;
      documents += (await createDocuments(tx, ws.id, DEMO_DOCUMENTS)).length;
    }
    return { workspaces, prospects, documents };
  });
}
