import {
  type CreateTokenOptions,
  type ListTokensOptions,
  MainspringError,
  parseDuration,
  resolveIdempotencyKey,
  WaitpointTimeoutError,
  type WaitToken,
  type WaitTokenInfo,
} from "@mainspring/sdk";
import { newId } from "./ids.js";
import { parseStored } from "./sql/rows.js";
import {
  childWaitpoints,
  completeWaitpoints,
  dueWaitpoints,
  getWaitpoint,
  insertWaitpoints,
  listTokenRows,
  type WaitpointRow,
} from "./sql/waitpoints.js";
import type { Db } from "./store/db.js";
import { tagsSchema } from "./trigger-options.js";
import type { UrlSigner } from "./url-signer.js";

/**
 * Wait tokens and waitpoint completion: the engine side of `wait.createToken`,
 * `wait.completeToken`, timeouts, and resuming parents when child runs finish.
 */
export class WaitService {
  /** Unsigned until signCallbackUrls() (engine start): such URLs are refused by the API. */
  private buildCallbackUrl: (id: string) => string = (id) =>
    `${this.apiUrl}/api/v1/waitpoints/tokens/${id}/callback`;

  constructor(
    private readonly db: Db,
    private readonly apiUrl: string,
    private readonly maxOutputBytes: number,
  ) {}

  async createToken(options: CreateTokenOptions = {}): Promise<WaitToken> {
    const tags = tagsSchema.safeParse(options.tags ?? []);
    if (!tags.success)
      throw new MainspringError("INVALID_OPTIONS", `Invalid token tags: ${tags.error.issues[0]?.message}`);
    let afterMs: number | undefined;
    let at: string | undefined;
    if (options.timeout instanceof Date) at = options.timeout.toISOString();
    else if (options.timeout !== undefined) afterMs = parseDuration(options.timeout);
    const id = newId("waitpoint");
    const [row] = await insertWaitpoints(this.db, [
      {
        id,
        type: "TOKEN",
        after_ms: afterMs ?? null,
        at: at ?? null,
        idempotency_key: resolveIdempotencyKey(options.idempotencyKey) ?? null,
        idempotency_ttl_s: options.idempotencyKeyTTL ? parseDuration(options.idempotencyKeyTTL) / 1000 : null,
        tags: tags.data,
      },
    ]);
    return { id: row!.id, url: this.callbackUrl(row!.id), isCached: row!.cached };
  }

  /** The HTTP callback that completes the token (served by the HTTP API). */
  callbackUrl(id: string): string {
    return this.buildCallbackUrl(id);
  }

  /**
   * Callback URLs carry a signature the API verifies, whichever process makes the token (a
   * worker-only process included). The HTTP API passes its own public URL.
   */
  signCallbackUrls(signer: UrlSigner, baseUrl = this.apiUrl): void {
    const apiUrl = baseUrl.replace(/\/$/, "");
    this.buildCallbackUrl = (id) =>
      `${apiUrl}/api/v1/waitpoints/tokens/${id}/callback/${signer.sign("token", id)}`;
  }

  async completeToken(id: string, data: unknown): Promise<{ success: true }> {
    const token = await getWaitpoint(this.db, id);
    if (token?.type !== "TOKEN")
      throw new MainspringError("WAITPOINT_NOT_FOUND", `Wait token "${id}" does not exist`);
    const output = data === undefined ? null : JSON.stringify(data);
    if (output !== null && Buffer.byteLength(output) > this.maxOutputBytes) {
      throw new MainspringError("OUTPUT_TOO_LARGE", `Token data is over ${this.maxOutputBytes} bytes`);
    }
    await completeWaitpoints(this.db, [{ id, status: "COMPLETED", output, output_type: "application/json" }]);
    return { success: true };
  }

  async retrieveToken(id: string): Promise<WaitTokenInfo> {
    const row = await getWaitpoint(this.db, id);
    if (row?.type !== "TOKEN")
      throw new MainspringError("WAITPOINT_NOT_FOUND", `Wait token "${id}" does not exist`);
    return toTokenInfo(row);
  }

  async listTokens(options: ListTokensOptions = {}): Promise<{ data: WaitTokenInfo[]; nextCursor?: string }> {
    const limit = Math.min(Math.max(options.limit ?? 25, 1), 100);
    const rows = await listTokenRows(this.db, { ...options, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      data: page.map(toTokenInfo),
      nextCursor: rows.length > limit ? page[page.length - 1]?.id : undefined,
    };
  }

  /** Resumes the parents waiting on these (now finished) child runs. */
  async childrenFinished(runIds: string[]): Promise<void> {
    const ids = await childWaitpoints(this.db, runIds);
    if (ids.length > 0)
      await completeWaitpoints(
        this.db,
        ids.map((id) => ({ id, status: "COMPLETED" as const })),
      );
  }

  /** Completes elapsed durations, timed-out tokens and finished children (a maintenance pass). */
  async completeDue(): Promise<number> {
    const due = await dueWaitpoints(this.db);
    if (due.length === 0) return 0;
    const { completed } = await completeWaitpoints(this.db, due);
    return completed.length;
  }
}

function toTokenInfo(row: WaitpointRow): WaitTokenInfo {
  return {
    id: row.id,
    status: row.status,
    output: row.status === "COMPLETED" ? parseStored(row.output, row.output_type) : undefined,
    error:
      row.status === "TIMED_OUT" ? new WaitpointTimeoutError(`Wait token ${row.id} timed out`) : undefined,
    idempotencyKey: row.idempotency_key ?? undefined,
    idempotencyKeyExpiresAt: row.idempotency_key_expires_at ?? undefined,
    timeoutAt: row.complete_after ?? undefined,
    tags: row.tags,
    createdAt: row.created_at,
    completedAt: row.completed_at ?? undefined,
  };
}
