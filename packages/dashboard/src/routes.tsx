import { crmPages } from "./crm/pages.js";
import { OverviewPage } from "./pages/Overview.js";
import { QueuesPage } from "./pages/Queues.js";
import { RunPage } from "./pages/Run.js";
import { RunsPage } from "./pages/Runs.js";
import { SchedulesPage } from "./pages/Schedules.js";
import { TestPage } from "./pages/Test.js";
import { TokenPage } from "./pages/Token.js";
import { TokensPage } from "./pages/Tokens.js";
import type { DashboardPage } from "./registry.js";

/** The platform's pages. CRM pages are registered in crm/pages.tsx. */
const platformPages: DashboardPage[] = [
  { path: "", component: OverviewPage, nav: { group: "Platform", label: "Overview", to: "/", order: 0 } },
  { path: "runs", component: RunsPage, nav: { group: "Platform", label: "Runs", order: 1 } },
  { path: "runs/:runId", component: RunPage },
  { path: "test", component: TestPage, nav: { group: "Platform", label: "Test", order: 2 } },
  { path: "tokens", component: TokensPage, nav: { group: "Platform", label: "Wait tokens", order: 3 } },
  { path: "tokens/:tokenId", component: TokenPage },
  { path: "schedules", component: SchedulesPage, nav: { group: "Platform", label: "Schedules", order: 4 } },
  { path: "queues", component: QueuesPage, nav: { group: "Platform", label: "Queues", order: 5 } },
];

export const pages: DashboardPage[] = [...platformPages, ...crmPages];

/** Navigation groups in display order, each with its links in order. */
export function navigation() {
  const groups = new Map<string, Array<{ label: string; to: string; order: number }>>();
  for (const page of pages) {
    if (!page.nav) continue;
    const list = groups.get(page.nav.group) ?? [];
    list.push({ label: page.nav.label, to: page.nav.to ?? `/${page.path}`, order: page.nav.order ?? 100 });
    groups.set(page.nav.group, list);
  }
  return [...groups].map(([group, links]) => ({ group, links: links.sort((a, b) => a.order - b.order) }));
}
