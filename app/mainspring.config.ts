import { defineConfig } from "@mainspring/sdk";
import { approvalRoutes } from "./src/crm/approvals/route.js";
import { campaignRoutes } from "./src/crm/email/campaign-routes.js";
import { emailRoutes } from "./src/crm/email/routes.js";
import { searchRoute } from "./src/crm/search/route.js";
import { setupCrm, shouldSeedDemo } from "./src/crm/setup.js";
import { viewRoutes } from "./src/crm/views/routes.js";

export default defineConfig({
  dirs: ["./src/trigger"],
  retries: {
    default: { maxAttempts: 3, factor: 2, minTimeoutInMs: 1000, maxTimeoutInMs: 60_000, randomize: true },
  },
  maxDuration: 3600,
  // The CRM's tables live in the engine's database: migrate them, bind the store for the tasks,
  // and on a fresh embedded store (npm start) seed the demo workspaces.
  setup: ({ db, worker }) => setupCrm(db, { seedDemo: worker && shouldSeedDemo(db.kind) }),
  // The CRM's own HTTP endpoints, served by the API under /api/v1/app (docs/http-api.md).
  // emailRoutes: one-click unsubscribe (public, under /app) and recording activities.
  routes: [searchRoute, ...approvalRoutes, ...emailRoutes, ...campaignRoutes, ...viewRoutes],
});
