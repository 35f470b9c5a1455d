/**
 * The seed's import names, in one module: `import { scoreLeadTask } from "@/trigger/jobs"`.
 * Later parts (campaigns, agents, approvals, sequences, streams) add theirs here.
 */

export {
  type ApprovalDecision,
  type ApprovalResult,
  completeApproval,
  requestApprovalTask,
} from "./approvals.js";
export {
  type CampaignProgress,
  campaignProgressStream,
  campaignSendOptions,
  cancelCampaignSending,
  resumeCampaign,
  scheduleCampaign,
  scheduleCampaignTask,
  sendCampaignTask,
  startCampaign,
} from "./campaign-sender.js";
export {
  bulkIndexDocumentsTask,
  indexDocumentTask,
  reindexAllDocumentsTask,
} from "./document-indexing.js";
export { executeFollowUpSequenceTask, sendDelayedFollowUpTask } from "./follow-up-sequence.js";
export { bulkScoreLeadsTask, scheduledLeadScoringTask, scoreLeadTask } from "./lead-scoring.js";
export {
  buildWorkspaceQueueOptions,
  enterpriseTierQueue,
  freeTierQueue,
  getQueueForTier,
  type SubscriptionTier,
  standardTierQueue,
  systemJobsQueue,
  type WorkspaceQueueOptions,
} from "./queues.js";
export {
  type AgentStreamChunk,
  agentOutputStream,
  type BatchProgress,
  batchProgressStream,
} from "./streams.js";
export {
  executeAgentTask,
  processActiveAgentsTask,
  scheduledAgentHealthCheckTask,
} from "./workflow-executor.js";
