import { AbortTaskRunError } from "@mainspring/sdk";

/**
 * Codes of the agent and approval parts. Kept apart from crm/errors.ts (which the other CRM
 * parts extend) with the same two shapes: a retryable error and one that fails the run at once.
 */
export type AgentErrorCode =
  | "INVALID_INPUT"
  | "AGENT_NOT_FOUND"
  | "AGENT_INACTIVE"
  | "AI_PROVIDER_NOT_CONFIGURED"
  | "AI_PROVIDER_FAILED"
  | "TOKEN_BUDGET_EXCEEDED"
  | "APPROVAL_NOT_FOUND"
  | "APPROVAL_CONFLICT"
  | "FORBIDDEN";

/** A failure a retry may fix (the provider timed out or returned 5xx). */
export class AgentError extends Error {
  override name = "AgentError";
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A failure no retry can fix (no provider configured, budget spent, unknown agent). */
export class AgentInputError extends AbortTaskRunError {
  override name = "AgentInputError";
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
