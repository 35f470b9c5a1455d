import type { MainspringConfig } from "@mainspring/sdk";
import type { Limits } from "../limits.js";
import type { ClaimedRow as RunRow } from "../sql/claim.js";
import type { Db } from "../store/db.js";
import type { DurableDeps } from "./durable.js";

/** The worker's contract with the engine that builds it: its options, dependencies and events. */

export interface WorkerOptions {
  /** Attempts this process runs at once. Default 50. */
  concurrency?: number;
  /** Most runs taken per claim statement. Default 100. */
  batchSize?: number;
  /** Lease length; a worker silent for this long is presumed dead. Default 30 s. */
  leaseMs?: number;
  /** Poll interval when no notification arrives (fallback). Default 1 s. */
  pollIntervalMs?: number;
  /**
   * Claim statements in flight at once (default 1). Claims that run in parallel skip each
   * other's locked keys and runs, so they never wait on each other.
   */
  claimers?: number;
  /** Only these queues (default: every queue of the tasks this process knows). */
  queues?: string[];
}

/** One claim statement: the runs it took and how long it took. */
export interface ClaimEvent {
  rows: RunRow[];
  claimMs: number;
}

export interface WorkerDeps {
  db: Db;
  config: MainspringConfig;
  limits: Limits;
  durable: DurableDeps;
  /** Child runs that parents wait on reached a final status: resume the parents. */
  childrenFinished(runIds: string[]): Promise<void>;
  /** Runs whose final result this worker committed (stream readers end at once). */
  runsFinished?(runIds: string[]): void;
  addTags(runId: string, tags: string[]): Promise<void>;
  onError(error: unknown, where: string): void;
}
