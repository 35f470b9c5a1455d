import type { Run, ScheduleObject, WaitTokenInfo } from "@mainspring/sdk";

/**
 * Our objects in the shapes of Trigger.dev's API (`@trigger.dev/core` schemas), which the
 * official client validates every response against.
 */

const ENVIRONMENT = { id: "env_mainspring", name: "production" };

function commonRunFields(run: Run) {
  const durationMs = run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : 0;
  return {
    id: run.id,
    status: run.status,
    taskIdentifier: run.taskIdentifier,
    idempotencyKey: run.idempotencyKey,
    isQueued: run.isQueued,
    isExecuting: run.status === "EXECUTING",
    isWaiting: run.status === "WAITING",
    isCompleted: run.isCompleted,
    isSuccess: run.isSuccess,
    isFailed: run.isFailed,
    isCancelled: run.isCancelled,
    isTest: run.isTest,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    delayedUntil: run.delayedUntil,
    ttl: run.ttl === undefined ? undefined : `${run.ttl}s`,
    expiredAt: run.expiredAt,
    tags: run.tags,
    costInCents: 0,
    baseCostInCents: 0,
    durationMs,
    metadata: run.metadata,
  };
}

function relatedRun(run: Run) {
  return {
    ...commonRunFields(run),
    depth: run.depth,
    triggerFunction: run.batchId ? ("batchTrigger" as const) : ("trigger" as const),
    batchId: run.batchId,
  };
}

/**
 * Fields Trigger.dev's shapes lack but Mainspring's `Run` has; the official client drops keys
 * it does not know, and our own client reads them back.
 */
function mainspringFields(run: Run) {
  return {
    queue: run.queue,
    concurrencyKey: run.concurrencyKey,
    priority: run.priority,
    maxAttempts: run.maxAttempts,
    maxDuration: run.maxDuration,
    attemptCount: run.attemptCount,
    batchId: run.batchId,
    parentId: run.parentId,
    rootId: run.rootId,
    depth: run.depth,
  };
}

/** `GET /api/v3/runs/:id` (RetrieveRunResponse). */
export function retrievedRun(run: Run, related: { parent?: Run; root?: Run; children?: Run[] } = {}) {
  return {
    ...relatedRun(run),
    ...mainspringFields(run),
    payload: run.payload,
    output: run.output,
    error: run.error,
    attemptCount: run.attemptCount,
    relatedRuns: {
      parent: related.parent ? relatedRun(related.parent) : undefined,
      root: related.root ? relatedRun(related.root) : undefined,
      children: related.children?.map(relatedRun),
    },
  };
}

/** An item of `GET /api/v1/runs` (ListRunResponseItem). */
export function listedRun(run: Run) {
  return { ...commonRunFields(run), ...mainspringFields(run), env: ENVIRONMENT };
}

/** `ScheduleObject`: ours already has Trigger.dev's fields; dates go out as ISO strings. */
export function schedule(value: ScheduleObject) {
  return value;
}

/** A wait token (WaitpointTokenItem / WaitpointRetrieveTokenResponse). */
export function waitToken(token: WaitTokenInfo, url: string, withOutput: boolean) {
  const base = {
    id: token.id,
    url,
    status: token.status,
    completedAt: token.completedAt,
    timeoutAt: token.timeoutAt,
    idempotencyKey: token.idempotencyKey,
    idempotencyKeyExpiresAt: token.idempotencyKeyExpiresAt,
    tags: token.tags,
    createdAt: token.createdAt,
  };
  if (!withOutput) return base;
  if (token.status === "TIMED_OUT") {
    return {
      ...base,
      output: JSON.stringify({ name: "WaitpointTimeoutError", message: token.error?.message ?? "Timed out" }),
      outputType: "application/json",
      outputIsError: true,
    };
  }
  return token.output === undefined
    ? base
    : { ...base, output: JSON.stringify(token.output), outputType: "application/json", outputIsError: false };
}

/** A run as realtime subscribers receive it: the list fields plus payload, output and error. */
export function realtimeRun(run: Run) {
  return {
    ...commonRunFields(run),
    ...mainspringFields(run),
    payload: run.payload,
    output: run.output,
    error: run.error,
  };
}
