import type { DashboardPage } from "../registry.js";

/**
 * The CRM's pages go here: leads (score, per-factor breakdown, history), campaigns (live
 * progress, send rate), mailbox, agents (executions, live output), documents (index status,
 * search), and the approvals inbox. Each is a component in this folder plus one entry below,
 * with `nav: { group: "CRM", label }`; the router and the side navigation pick it up. Pages call
 * the API with `api()` from ../api.ts (the session is attached), poll with `useApi()` from
 * ../hooks.ts, follow runs live with @mainspring/react's hooks (the provider is set up in
 * main.tsx), and draw charts with components/Chart.tsx.
 *
 * @example
 * { path: "crm/leads", component: LeadsPage, nav: { group: "CRM", label: "Leads", order: 10 } },
 */
export const crmPages: DashboardPage[] = [];
