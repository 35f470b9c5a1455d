/**
 * Public-token scopes, as the official client writes them (`auth.createPublicToken`):
 * `{action}:{resource}[:{id}]`, e.g. `read:runs:run_123`, `read:tags:workspace:A`,
 * `read:batch:batch_1`, `write:waitpoints:waitpoint_1`, `trigger:tasks:score-lead`, or `admin`.
 * A scope without an id covers every resource of its kind. Tag ids may contain colons.
 */
export interface Scope {
  action: string;
  resource: string;
  id?: string;
}

export function parseScope(raw: string): Scope | undefined {
  const first = raw.indexOf(":");
  if (first < 0) return raw === "admin" ? { action: "admin", resource: "*" } : undefined;
  const second = raw.indexOf(":", first + 1);
  const action = raw.slice(0, first);
  if (second < 0) return { action, resource: raw.slice(first + 1) };
  return { action, resource: raw.slice(first + 1, second), id: raw.slice(second + 1) };
}

/** What a run looks like to the authorizer: only the fields scopes can name. */
export interface RunFacts {
  id: string;
  taskIdentifier: string;
  tags: string[];
  batchId?: string;
  rootId?: string;
}

/** Only the exact scope `admin`; `admin:anything` grants nothing. */
const isAdmin = (s: Scope) => s.action === "admin" && s.resource === "*";

export class Grants {
  private readonly scopes: Scope[];

  constructor(raw: string[]) {
    this.scopes = raw.map(parseScope).filter((s): s is Scope => s !== undefined);
  }

  /** A scope granting `action` on `resource` (with this id, or any id), or `admin`. */
  allows(action: string, resource: string, id?: string): boolean {
    return this.has(action, resource, id);
  }

  private has(action: string, resource: string, id?: string): boolean {
    return this.scopes.some(
      (s) =>
        isAdmin(s) || (s.action === action && s.resource === resource && (s.id === undefined || s.id === id)),
    );
  }

  /** Any scope of this action on a resource kind, with or without ids (for listing). */
  hasAny(action: string, resource: string): boolean {
    return this.scopes.some((s) => isAdmin(s) || (s.action === action && s.resource === resource));
  }

  /** `read:all`, `read:runs`, or a scope naming the run, its task, its batch, its root or one of its tags. */
  canReadRun(run: RunFacts): boolean {
    if (this.has("read", "all") || this.has("read", "runs", run.id)) return true;
    if (run.rootId && this.has("read", "runs", run.rootId)) return true;
    if (this.has("read", "tasks", run.taskIdentifier)) return true;
    if (run.batchId && this.has("read", "batch", run.batchId)) return true;
    return run.tags.some((tag) => this.has("read", "tags", tag));
  }

  /** The tags this token may read runs of, or "all". */
  readableTags(): string[] | "all" {
    if (this.has("read", "all") || this.has("read", "runs")) return "all";
    return this.scopes.filter((s) => s.action === "read" && s.resource === "tags" && s.id).map((s) => s.id!);
  }

  canReadBatch(batchId: string): boolean {
    return this.has("read", "all") || this.has("read", "batch", batchId) || this.has("read", "runs");
  }

  canTrigger(taskId: string): boolean {
    return this.has("trigger", "tasks", taskId) || this.has("write", "tasks", taskId);
  }

  canBatchTrigger(taskId: string): boolean {
    return this.has("batchTrigger", "tasks", taskId) || this.canTrigger(taskId);
  }

  canCompleteToken(tokenId: string): boolean {
    return this.has("write", "waitpoints", tokenId);
  }

  canReadToken(tokenId: string): boolean {
    return this.has("read", "waitpoints", tokenId) || this.has("write", "waitpoints", tokenId);
  }
}
