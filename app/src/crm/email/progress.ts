import { metadata, streams } from "@mainspring/sdk";
import type { LedgerCounts } from "./ledger.js";

export interface CampaignProgress {
  campaignId: string;
  workspaceId: string;
  status: string;
  sent: number;
  failed: number;
  suppressed: number;
  skipped: number;
  unknown: number;
  pending: number;
  total: number;
  /** 0..1 of the rows that reached a final state. */
  fraction: number;
  /** Observed messages per second since this run started sending. */
  ratePerSecond: number;
}

/** The seed's `campaignProgressStream` (stream id "campaign-progress"). */
export const campaignProgress = streams.define<CampaignProgress>({ id: "campaign-progress" });

export async function reportCampaignProgress(
  c: { workspaceId: string; id: string },
  status: string,
  counts: LedgerCounts,
  ratePerSecond: number,
): Promise<CampaignProgress> {
  const done = counts.sent + counts.failed + counts.suppressed + counts.skipped + counts.unknown;
  const p: CampaignProgress = {
    campaignId: c.id,
    workspaceId: c.workspaceId,
    status,
    sent: counts.sent,
    failed: counts.failed,
    suppressed: counts.suppressed,
    skipped: counts.skipped,
    unknown: counts.unknown,
    pending: counts.pending + counts.sending,
    total: counts.total,
    fraction: counts.total === 0 ? 1 : done / counts.total,
    ratePerSecond: Math.round(ratePerSecond * 10) / 10,
  };
  metadata.set("progress", p as unknown as Record<string, number | string>);
  await campaignProgress.append(p);
  return p;
}
