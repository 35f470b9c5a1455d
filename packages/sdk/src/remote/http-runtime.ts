import { MainspringError } from "../errors.js";
import { resolveIdempotencyKey } from "../idempotency-keys.js";
import type { TaskRuntime } from "../runtime.js";
import type {
  CreateScheduleOptions,
  DeletedScheduleObject,
  ListScheduleOptions,
  ScheduleListPage,
  ScheduleObject,
  ScheduleRuntime,
  UpdateScheduleOptions,
} from "../schedules.js";
import type { StreamAppendResult, StreamReadOptions, StreamRecord } from "../streams.js";
import type {
  BatchHandle,
  BatchItem,
  ListRunsFilter,
  Run,
  RunHandle,
  RunPage,
  TriggerOptions,
} from "../types.js";
import type { CreateTokenOptions, ListTokensOptions, WaitToken, WaitTokenInfo } from "../wait-types.js";
import { HttpClient, type HttpClientOptions, type Query } from "./http-client.js";
import { reviveRun, reviveSchedule, reviveSchedulePage, reviveToken } from "./revive.js";
import { readSseStream } from "./stream-reader.js";

type Wire = Record<string, unknown>;

const enc = encodeURIComponent;
const csv = (value: string | string[] | undefined) =>
  value === undefined ? undefined : [value].flat().join(",") || undefined;
const iso = (value: string | Date | undefined) => (value instanceof Date ? value.toISOString() : value);

/** TriggerOptions in the wire form the official client sends (`TriggerTaskRequestBody.options`). */
function wireOptions(options: TriggerOptions = {}): Wire {
  const wire: Wire = { payloadType: "application/json" };
  if (options.queue !== undefined) wire.queue = { name: options.queue };
  if (options.concurrencyKey !== undefined) wire.concurrencyKey = options.concurrencyKey;
  if (options.delay !== undefined) wire.delay = iso(options.delay);
  if (options.idempotencyKey !== undefined) {
    // Hash here as the engine would (a raw string or array gets global scope), so arrays fit the wire's string.
    const key = resolveIdempotencyKey(options.idempotencyKey as string | string[]);
    if (key !== undefined) wire.idempotencyKey = key;
  }
  if (options.idempotencyKeyTTL !== undefined) wire.idempotencyKeyTTL = options.idempotencyKeyTTL;
  if (options.ttl !== undefined) wire.ttl = options.ttl;
  if (options.tags !== undefined) wire.tags = options.tags;
  if (options.priority !== undefined) wire.priority = options.priority;
  if (options.maxAttempts !== undefined) wire.maxAttempts = options.maxAttempts;
  if (options.maxDuration !== undefined) wire.maxDuration = options.maxDuration;
  if (options.metadata !== undefined) {
    wire.metadata = JSON.stringify(options.metadata);
    wire.metadataType = "application/json";
  }
  return wire;
}

/** A payload as a JSON packet; `undefined` stays absent. */
function wirePayload(payload: unknown): string | undefined {
  return payload === undefined ? undefined : JSON.stringify(payload);
}

function epoch(value: Date | number | undefined): number | undefined {
  return value instanceof Date ? value.getTime() : value;
}

/** `ListRunsFilter` as `GET /api/v1/runs` takes it (`filter[...]`, `page[...]`). */
function listQuery(filter: ListRunsFilter): Query {
  return {
    "filter[status]": csv(filter.status),
    "filter[taskIdentifier]": csv(filter.taskIdentifier),
    "filter[tag]": csv(filter.tag),
    "filter[queue]": csv(filter.queue),
    "filter[batch]": filter.batch,
    "filter[parentId]": filter.parentId,
    "filter[rootOnly]": filter.rootOnly ? "true" : undefined,
    "filter[createdAt][from]": epoch(filter.from),
    "filter[createdAt][to]": epoch(filter.to),
    "page[size]": filter.limit,
    "page[after]": filter.after,
  };
}

function tokenTimeout(timeout: string | Date | undefined): string | undefined {
  if (!(timeout instanceof Date)) return timeout;
  if (Number.isNaN(timeout.getTime())) throw new MainspringError("INVALID_DURATION", "Invalid Date given");
  // sent as an ISO date; the server reads it back as a Date
  return timeout.toISOString();
}

function handleToken(headers: Headers): { publicAccessToken?: string } {
  const token = headers.get("x-trigger-jwt");
  return token ? { publicAccessToken: token } : {};
}

export type HttpRuntimeOptions = HttpClientOptions;

/**
 * The SDK's TaskRuntime over Mainspring's HTTP API (its Trigger.dev-compatible endpoints):
 * what `tasks.trigger`, `runs.*`, `wait.*Token`, `schedules.*` and `stream.read()` use in a
 * process without an engine. Build it with `configure()` or from the environment
 * (`MAINSPRING_API_URL` + `MAINSPRING_SECRET_KEY`, or the `TRIGGER_` names).
 */
export class HttpRuntime implements TaskRuntime {
  readonly client: HttpClient;
  readonly schedules: ScheduleRuntime;

  constructor(options: HttpRuntimeOptions) {
    if (!options.baseURL)
      throw new MainspringError("CONFIG_INVALID", "The Mainspring API client needs a baseURL");
    if (!options.accessToken) {
      throw new MainspringError(
        "CONFIG_INVALID",
        "The Mainspring API client needs an access token (a secret key from `mainspring keys create`, or a public access token)",
      );
    }
    this.client = new HttpClient(options);
    this.schedules = scheduleClient(this.client);
  }

  get baseURL(): string {
    return this.client.baseURL;
  }

  async trigger(taskId: string, payload: unknown, options?: TriggerOptions): Promise<RunHandle> {
    const { data, headers } = await this.client.request<{ id: string; isCached?: boolean }>(
      "POST",
      `/api/v1/tasks/${enc(taskId)}/trigger`,
      { json: { payload: wirePayload(payload), options: wireOptions(options) } },
    );
    return { id: data.id, taskIdentifier: taskId, isCached: data.isCached === true, ...handleToken(headers) };
  }

  /** The two-phase batch: create it with its size, then send every item as NDJSON. */
  async batchTrigger(items: Array<{ task: string } & BatchItem<unknown>>): Promise<BatchHandle> {
    if (items.length === 0) throw new MainspringError("INVALID_OPTIONS", "A batch needs at least one item");
    const created = await this.client.request<{ id: string; runCount: number }>("POST", "/api/v3/batches", {
      json: { runCount: items.length, taskIdentifiers: [...new Set(items.map((i) => i.task))] },
    });
    const batchId = created.data.id;
    const ndjson = items
      .map((item, index) =>
        JSON.stringify({
          index,
          task: item.task,
          payload: wirePayload(item.payload),
          options: wireOptions(item.options),
        }),
      )
      .join("\n");
    await this.client.request("POST", `/api/v3/batches/${enc(batchId)}/items`, {
      body: ndjson,
      contentType: "application/x-ndjson",
    });
    // The items answer has no run ids; the batch lists them in trigger order (ids are time-ordered).
    const { data } = await this.client.request<{ runs: string[] }>("GET", `/api/v2/batches/${enc(batchId)}`);
    const ids = data.runs ?? [];
    const runs: RunHandle[] = ids.map((id, i) => ({
      id,
      taskIdentifier: ids.length === items.length ? items[i]!.task : "",
      isCached: false,
    }));
    if (ids.length !== items.length) {
      // Some items matched an idempotency key (their runs belong to an earlier batch): ask each run its task.
      const tasks = await Promise.all(ids.map((id) => this.retrieveRun(id).then((r) => r.taskIdentifier)));
      tasks.forEach((task, i) => {
        runs[i]!.taskIdentifier = task;
      });
    }
    return { batchId, runCount: items.length, runs, ...handleToken(created.headers) };
  }

  async retrieveRun(runId: string): Promise<Run> {
    const { data } = await this.client.request<Wire>("GET", `/api/v3/runs/${enc(runId)}`);
    return reviveRun(data);
  }

  async listRuns(filter: ListRunsFilter = {}): Promise<RunPage> {
    const { data } = await this.client.request<{ data: Wire[]; pagination?: { next?: string } }>(
      "GET",
      "/api/v1/runs",
      { query: listQuery(filter) },
    );
    const next = data.pagination?.next;
    return { data: data.data.map(reviveRun), ...(next ? { nextCursor: next } : {}) };
  }

  async cancelRun(runId: string): Promise<{ id: string }> {
    const { data } = await this.client.request<{ id: string }>("POST", `/api/v2/runs/${enc(runId)}/cancel`);
    return { id: data.id };
  }

  async replayRun(runId: string): Promise<{ id: string }> {
    const { data } = await this.client.request<{ id: string }>("POST", `/api/v1/runs/${enc(runId)}/replay`);
    return { id: data.id };
  }

  async rescheduleRun(runId: string, options: { delay: string | Date }): Promise<Run> {
    const { data } = await this.client.request<Wire>("POST", `/api/v1/runs/${enc(runId)}/reschedule`, {
      json: { delay: iso(options.delay) },
    });
    return reviveRun(data);
  }

  async addTags(runId: string, tags: string[]): Promise<void> {
    await this.client.request("POST", `/api/v1/runs/${enc(runId)}/tags`, { json: { tags } });
  }

  async createToken(options: CreateTokenOptions = {}): Promise<WaitToken> {
    const key = resolveIdempotencyKey(options.idempotencyKey);
    const { data, headers } = await this.client.request<{ id: string; url: string; isCached?: boolean }>(
      "POST",
      "/api/v1/waitpoints/tokens",
      {
        json: {
          ...(key === undefined ? {} : { idempotencyKey: key }),
          idempotencyKeyTTL: options.idempotencyKeyTTL,
          timeout: tokenTimeout(options.timeout),
          tags: options.tags,
        },
      },
    );
    return { id: data.id, url: data.url, isCached: data.isCached === true, ...handleToken(headers) };
  }

  async completeToken(tokenId: string, data: unknown): Promise<{ success: true }> {
    await this.client.request("POST", `/api/v1/waitpoints/tokens/${enc(tokenId)}/complete`, {
      json: data === undefined ? {} : { data },
    });
    return { success: true };
  }

  async retrieveToken(tokenId: string): Promise<WaitTokenInfo> {
    const { data } = await this.client.request<Wire>("GET", `/api/v1/waitpoints/tokens/${enc(tokenId)}`);
    return reviveToken(data);
  }

  async listTokens(options: ListTokensOptions = {}): Promise<{ data: WaitTokenInfo[]; nextCursor?: string }> {
    const { data } = await this.client.request<{ data: Wire[]; pagination?: { next?: string } }>(
      "GET",
      "/api/v1/waitpoints/tokens",
      {
        query: {
          "filter[status]": csv(options.status),
          "filter[tags]": csv(options.tags),
          "filter[idempotencyKey]": options.idempotencyKey,
          "page[size]": options.limit,
          "page[after]": options.after,
        },
      },
    );
    const next = data.pagination?.next;
    return { data: data.data.map(reviveToken), ...(next ? { nextCursor: next } : {}) };
  }

  /** Streams are written from inside runs, which execute in an engine process. */
  async appendStream(runId: string, streamId: string): Promise<StreamAppendResult> {
    throw new MainspringError(
      "NO_RUNTIME",
      `Cannot append to stream "${streamId}" of run "${runId}" over the HTTP API: streams are written from ` +
        "inside runs (stream.append/pipe/writer in a task), which execute in an engine process",
    );
  }

  /** Over SSE (`GET /api/v1/realtime/streams/:runId/:streamId`), resuming after a dropped connection. */
  readStream(runId: string, streamId: string, options: StreamReadOptions = {}): AsyncIterable<StreamRecord> {
    return readSseStream(this.client, runId, streamId, options);
  }
}

function scheduleClient(client: HttpClient): ScheduleRuntime {
  const one = async (method: string, path: string, json?: unknown): Promise<ScheduleObject> =>
    reviveSchedule((await client.request<Wire>(method, path, json === undefined ? {} : { json })).data);
  const path = (id: string) => `/api/v1/schedules/${enc(id)}`;
  return {
    create: (options: CreateScheduleOptions) => one("POST", "/api/v1/schedules", options),
    retrieve: (id: string) => one("GET", path(id)),
    update: (id: string, options: UpdateScheduleOptions) => one("PUT", path(id), options),
    async del(id: string): Promise<DeletedScheduleObject> {
      const { data } = await client.request<{ id: string }>("DELETE", path(id));
      return { id: data.id };
    },
    activate: (id: string) => one("POST", `${path(id)}/activate`),
    deactivate: (id: string) => one("POST", `${path(id)}/deactivate`),
    async list(options: ListScheduleOptions = {}): Promise<ScheduleListPage> {
      const { data } = await client.request<Wire>("GET", "/api/v1/schedules", {
        query: { page: options.page, perPage: options.perPage },
      });
      return reviveSchedulePage(data);
    },
  };
}
