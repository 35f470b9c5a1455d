import type { ComponentType } from "react";

/**
 * One page of the dashboard: its route and, if it belongs in the navigation, its entry.
 * Pages are registered in routes.tsx (platform) and crm/pages.tsx (CRM); the router and the
 * navigation are both built from these lists, so adding a page is adding one entry.
 */
export interface DashboardPage {
  /** Route path under the app root, react-router syntax: "runs", "runs/:runId". */
  path: string;
  component: ComponentType;
  /** Shown in the side navigation when set (detail pages usually leave it out). */
  nav?: {
    label: string;
    /** Navigation group heading. */
    group: "Platform" | "CRM";
    /** Where the link goes (default: `/${path}`). */
    to?: string;
    /** Order within the group (lower first). */
    order?: number;
  };
}
