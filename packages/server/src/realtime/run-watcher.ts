import type { Engine } from "@mainspring/engine";
import type { Run } from "@mainspring/sdk";

/** What a subscription follows: one run, a batch's runs, or the latest runs with a tag. */
export type WatchTarget =
  | { kind: "run"; runId: string }
  | { kind: "batch"; batchId: string }
  | { kind: "tag"; tag: string };

export interface Watch {
  target: WatchTarget;
  /** Called with every run of the target whose visible state changed since the last call. */
  onRuns(runs: Run[]): void;
}

/** How many of a tag's most recent runs a tag subscription follows. */
export const TAG_WINDOW = 100;

/**
 * Run changes for realtime subscribers, by polling the store: one query per tick for all
 * subscribed run ids, one per subscribed batch and tag, however many connections share them.
 * Polling (rather than NOTIFY from every statement that touches a run) sees every change made
 * by any process on the store, including ones this process never hears about, at the cost of
 * up to one tick of latency (default 200 ms).
 */
export class RunWatcher {
  private readonly watches = new Set<Watch>();
  private readonly seen = new Map<Watch, Map<string, string>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly engine: Engine,
    private readonly intervalMs = 200,
  ) {}

  /** Starts following; the first tick delivers the current state. Returns the unsubscribe. */
  watch(watch: Watch): () => void {
    this.watches.add(watch);
    this.seen.set(watch, new Map());
    if (!this.timer) this.timer = setInterval(() => void this.tick(), this.intervalMs);
    void this.tick();
    return () => {
      this.watches.delete(watch);
      this.seen.delete(watch);
      if (this.watches.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watches.clear();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.watches.size === 0) return;
    this.ticking = true;
    try {
      const watches = [...this.watches];
      const runIds = new Set<string>();
      const batches = new Set<string>();
      const tags = new Set<string>();
      for (const w of watches) {
        if (w.target.kind === "run") runIds.add(w.target.runId);
        else if (w.target.kind === "batch") batches.add(w.target.batchId);
        else tags.add(w.target.tag);
      }
      const [byId, byBatch, byTag] = await Promise.all([
        this.engine.retrieveRuns([...runIds]),
        Promise.all([...batches].map(async (b) => [b, await this.batchRuns(b)] as const)),
        Promise.all(
          [...tags].map(
            async (t) => [t, (await this.engine.listRuns({ tag: t, limit: TAG_WINDOW })).data] as const,
          ),
        ),
      ]);
      const runsById = new Map(byId.map((r) => [r.id, r]));
      const batchRuns = new Map(byBatch);
      const tagRuns = new Map(byTag);
      for (const w of watches) {
        const seen = this.seen.get(w);
        if (!seen) continue; // unsubscribed during the queries
        const runs =
          w.target.kind === "run"
            ? [runsById.get(w.target.runId)].filter((r): r is Run => r !== undefined)
            : w.target.kind === "batch"
              ? (batchRuns.get(w.target.batchId) ?? [])
              : (tagRuns.get(w.target.tag) ?? []);
        const changed = runs.filter((run) => {
          const print = fingerprint(run);
          if (seen.get(run.id) === print) return false;
          seen.set(run.id, print);
          return true;
        });
        if (changed.length > 0) w.onRuns(changed);
      }
    } catch {
      // a failed tick (store briefly unreachable) is retried at the next one
    } finally {
      this.ticking = false;
    }
  }

  private async batchRuns(batchId: string): Promise<Run[]> {
    const all: Run[] = [];
    let after: string | undefined;
    do {
      const page = await this.engine.listRuns({ batch: batchId, limit: 100, after });
      all.push(...page.data);
      after = page.nextCursor;
    } while (after);
    return all;
  }
}

/** The fields a subscriber sees; a change to any of them is an event. */
function fingerprint(run: Run): string {
  return JSON.stringify([
    run.status,
    run.updatedAt,
    run.metadata,
    run.tags,
    run.output,
    run.error,
    run.attemptCount,
    run.startedAt,
    run.finishedAt,
  ]);
}
