/** The CRM API's shapes as the dashboard reads them (app/src/crm/…; dates arrive as ISO strings). */

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  tier: string;
  isDemo: boolean;
}

export const STAGES = ["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost"] as const;

export interface ProspectRow {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  company: string | null;
  jobTitle: string | null;
  stage: string;
  estimatedValue: number | null;
  score: number | null;
  scoreVersion: number | null;
  scoredAt: string | null;
  lastActivityAt: string | null;
}

/** One scoring factor: its points out of `max`, and why (scoring/score.ts Factor). */
export interface Factor {
  factor: string;
  points: number;
  max: number;
  evidence: string;
}

export interface ProspectDetail {
  prospect: ProspectRow & {
    phone: string | null;
    source: string | null;
    breakdown: Factor[] | null;
    createdAt: string;
  };
  history: Array<{
    score: number;
    breakdown: Factor[];
    version: number;
    runId: string | null;
    scoredAt: string;
  }>;
  activities: Array<{ id: string; kind: string; occurredAt: string; details: unknown }>;
}

export type CampaignStatus =
  | "draft"
  | "scheduled"
  | "awaiting_approval"
  | "sending"
  | "paused"
  | "sent"
  | "failed"
  | "canceled";

export interface Campaign {
  id: string;
  workspaceId: string;
  name: string;
  subject: string;
  body: string;
  audience: string;
  status: CampaignStatus;
  statusReason: string | null;
  fromAddress: string | null;
  scheduledFor: string | null;
  materializedAt: string | null;
  resumes: number;
  stats: Partial<LedgerCounts>;
}

export const LEDGER_STATES = [
  "pending",
  "sending",
  "sent",
  "failed",
  "suppressed",
  "skipped",
  "unknown",
] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];
export type LedgerCounts = Record<LedgerState, number> & { total: number };

export interface CampaignView {
  campaign: Campaign;
  counts: LedgerCounts;
}

export interface Recipient {
  id: string;
  email: string;
  state: LedgerState;
  messageId: string;
  detail: string | null;
  tries: number;
  claimedAt: string | null;
  finishedAt: string | null;
}

export interface MailboxRow {
  id: string;
  messageId: string;
  to: string;
  subject: string;
  createdAt: string;
}

export interface MailboxMessage {
  message: MailboxRow & { raw: string };
  headers: Array<{ name: string; value: string }>;
  body: string;
}

export interface Agent {
  id: string;
  name: string;
  status: string;
  model: string | null;
  executions: number;
  totalTokens: number;
}

export interface AgentExecution {
  id: string;
  agentId: string;
  runId: string | null;
  status: string;
  model: string | null;
  totalTokens: number | null;
  costUsd: number | null;
  toolCalls: number | null;
  error: string | null;
  startedAt: string | null;
  durationMs: number | null;
}

export interface DocumentRow {
  id: string;
  title: string;
  source: string | null;
  status: string;
  chunks: number | null;
  error: string | null;
  indexedAt: string | null;
  updatedAt: string;
}

export interface SearchResult {
  workspaceId: string;
  query: string;
  vectorMode: string;
  embeddingModel: string;
  hits: Array<{
    itemId: string;
    title: string;
    heading: string;
    snippet: string;
    score: number;
    fullTextRank: number | null;
    vectorRank: number | null;
  }>;
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

export interface Approval {
  id: string;
  workspaceId: string;
  type: string;
  entityId: string;
  title: string;
  description: string | null;
  status: ApprovalStatus;
  requestedBy: string | null;
  tokenId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  expiresAt: string | null;
  runId: string | null;
  createdAt: string;
}
