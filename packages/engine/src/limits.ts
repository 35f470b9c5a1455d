/** Limits enforced at trigger time; each violation is a MainspringError with a stable code. */
export interface Limits {
  /** Serialized payload size (PAYLOAD_TOO_LARGE beyond). */
  maxPayloadBytes: number;
  /** Serialized output size; a bigger output fails the run with OUTPUT_TOO_LARGE. */
  maxOutputBytes: number;
  /** Serialized metadata size. */
  maxMetadataBytes: number;
  /** Items in one batch trigger (BATCH_TOO_LARGE beyond). */
  maxBatchSize: number;
  /** One stream chunk as UTF-8 JSON (STREAM_CHUNK_TOO_LARGE beyond). */
  maxStreamChunkBytes: number;
  /** Chunks in one stream (STREAM_LIMIT beyond). */
  maxStreamChunks: number;
  /** Sum of one stream's chunk sizes (STREAM_LIMIT beyond). */
  maxStreamBytes: number;
  /** Distinct streams one run can have (STREAM_LIMIT beyond). */
  maxStreamsPerRun: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 3 * 1024 * 1024,
  maxOutputBytes: 10 * 1024 * 1024,
  maxMetadataBytes: 256 * 1024,
  maxBatchSize: 1000,
  maxStreamChunkBytes: 1024 * 1024,
  maxStreamChunks: 100_000,
  maxStreamBytes: 128 * 1024 * 1024,
  maxStreamsPerRun: 50,
};

export const MAX_TAGS = 10;
/** Node's timers overflow past 2^31 ms, so a maxDuration is at most 24 days. */
export const MAX_DURATION_S = 24 * 24 * 3600;
export const MAX_TAG_LENGTH = 128;
