import type { DashboardPage } from "../registry.js";
import { AgentsPage } from "./Agents.js";
import { ApprovalsPage } from "./Approvals.js";
import { CampaignPage } from "./Campaign.js";
import { CampaignsPage } from "./Campaigns.js";
import { DocumentsPage } from "./Documents.js";
import { LeadPage } from "./Lead.js";
import { LeadsPage } from "./Leads.js";
import { MailboxPage, MessagePage } from "./Mailbox.js";

/**
 * The CRM's pages: leads (score, per-factor breakdown, history), campaigns (live progress, send
 * rate), mailbox, agents (executions, live output on the run page), documents (index status,
 * search), and the approvals inbox. Each reads one workspace, chosen with the picker in its
 * header and kept in the URL as `?ws=` (see workspace.tsx). Each is a component in this folder
 * plus one entry below; the router and the side navigation pick it up.
 */
export const crmPages: DashboardPage[] = [
  { path: "crm/leads", component: LeadsPage, nav: { group: "CRM", label: "Leads", order: 10 } },
  { path: "crm/leads/:prospectId", component: LeadPage },
  { path: "crm/campaigns", component: CampaignsPage, nav: { group: "CRM", label: "Campaigns", order: 20 } },
  { path: "crm/campaigns/:campaignId", component: CampaignPage },
  { path: "crm/approvals", component: ApprovalsPage, nav: { group: "CRM", label: "Approvals", order: 30 } },
  { path: "crm/mailbox", component: MailboxPage, nav: { group: "CRM", label: "Mailbox", order: 40 } },
  { path: "crm/mailbox/:messageId", component: MessagePage },
  { path: "crm/agents", component: AgentsPage, nav: { group: "CRM", label: "Agents", order: 50 } },
  { path: "crm/documents", component: DocumentsPage, nav: { group: "CRM", label: "Documents", order: 60 } },
];
