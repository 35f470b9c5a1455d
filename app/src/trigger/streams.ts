import { batchProgress } from "../crm/progress.js";

/**
 * The seed's realtime streams. Part 1 writes `batchProgressStream` (stream id
 * "batch-progress"): bulk scoring and bulk indexing append one chunk per step. The campaign
 * and agent parts add `campaignProgressStream` and `agentOutputStream` here.
 *
 * @example
 * for await (const p of await batchProgressStream.read(runId)) console.log(`${p.done}/${p.total}`);
 */
export const batchProgressStream = batchProgress;
export type { BatchProgress } from "../crm/progress.js";
