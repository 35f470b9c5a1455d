export { Engine, type EngineOptions } from "./engine.js";
export type {
  AttemptRow,
  Inspector,
  MinuteCount,
  QueueKeyStats,
  QueueOverview,
  TimelineEntry,
  TimelineWaitpoint,
} from "./inspect.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export type { MaintenanceOptions } from "./maintenance.js";
export { LATEST_VERSION, migrate } from "./migrations/index.js";
export type { QueueStats } from "./sql/queues.js";
export type { LogPage, StoredLogLine } from "./sql/runs.js";
export { startEngine } from "./start-engine.js";
export type { Db, Queryable, TransactionOptions } from "./store/db.js";
export { openStore, type StoreOptions } from "./store/open.js";
export type { StreamInfo, StreamServiceOptions } from "./streams.js";
export { openUrlSigner, UrlSigner } from "./url-signer.js";
export type { ClaimEvent, WorkerOptions } from "./worker/worker.js";
