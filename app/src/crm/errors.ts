import { AbortTaskRunError } from "@mainspring/sdk";

/** Stable codes for the CRM's own failures, so callers (and the HTTP API) branch on `code`. */
export type CrmErrorCode =
  | "CRM_NOT_READY"
  | "INVALID_INPUT"
  | "WORKSPACE_NOT_FOUND"
  | "PROSPECT_NOT_FOUND"
  | "DOCUMENT_NOT_FOUND"
  | "DOCUMENT_EMPTY"
  | "EMBEDDING_FAILED"
  | "EMBEDDING_CONFIG_INVALID"
  | "CAMPAIGN_NOT_FOUND"
  | "CAMPAIGN_STATE"
  | "RECIPIENT_NOT_FOUND"
  | "MESSAGE_NOT_FOUND"
  | "FORBIDDEN"
  | "AUDIENCE_EMPTY"
  | "INVALID_TEMPLATE"
  | "INVALID_DELAY"
  | "MAIL_CONFIG_INVALID"
  | "SMTP_UNAVAILABLE"
  | "UNSUBSCRIBE_LINK_INVALID";

/** A failure that a retry can fix (a provider that timed out, a store not yet bound). */
export class CrmError extends Error {
  override name = "CrmError";
  constructor(
    readonly code: CrmErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * A failure no retry can fix (unknown workspace, empty document): the run fails at once.
 * It is an AbortTaskRunError so the engine skips the remaining attempts, and keeps the code.
 */
export class CrmInputError extends AbortTaskRunError {
  override name = "CrmInputError";
  constructor(
    readonly code: CrmErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
