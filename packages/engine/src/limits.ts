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
}

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 3 * 1024 * 1024,
  maxOutputBytes: 10 * 1024 * 1024,
  maxMetadataBytes: 256 * 1024,
  maxBatchSize: 1000,
};

export const MAX_TAGS = 10;
/** Node's timers overflow past 2^31 ms, so a maxDuration is at most 24 days. */
export const MAX_DURATION_S = 24 * 24 * 3600;
export const MAX_TAG_LENGTH = 128;
