import type { AppRoute } from "@mainspring/sdk";
import { z } from "zod";
import { crmStore } from "../../db/store.js";
import { CrmInputError } from "../errors.js";
import { recordActivity } from "../prospects.js";
import { processInbound } from "./inbound.js";
import { suppress, verifyUnsubscribeToken } from "./suppression.js";

/**
 * RFC 8058 one-click unsubscribe: mail providers POST `List-Unsubscribe=One-Click` to the
 * List-Unsubscribe URL, without cookies or credentials. The URL carries its own proof (an
 * HMAC of workspace and address, see suppression.ts). POST suppresses the address for the
 * workspace; GET only says what POST would do, because link scanners fetch every URL in a
 * mail and must not unsubscribe anybody.
 */
export const unsubscribeRoute: AppRoute = {
  method: "POST",
  path: "/unsubscribe/:token",
  public: true,
  errors: { UNSUBSCRIBE_LINK_INVALID: 404 },
  handler: async ({ params }) => {
    const db = await crmStore();
    const { workspaceId, email } = await verifyUnsubscribeToken(db, params.token ?? "");
    await suppress(db, { workspaceId, email, reason: "unsubscribe", source: "one-click" });
    return { unsubscribed: true, email };
  },
};

export const unsubscribeInfoRoute: AppRoute = {
  method: "GET",
  path: "/unsubscribe/:token",
  public: true,
  errors: { UNSUBSCRIBE_LINK_INVALID: 404 },
  handler: async ({ params }) => {
    const { email } = await verifyUnsubscribeToken(await crmStore(), params.token ?? "");
    return {
      email,
      unsubscribe: "POST to this URL (List-Unsubscribe=One-Click) to stop all mail to this address",
    };
  },
};

const activityBody = z.object({
  kind: z.enum(["email_sent", "email_opened", "email_replied", "call", "meeting", "note", "form_submitted"]),
  occurredAt: z.string().datetime({ offset: true }).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/**
 * `POST /api/v1/app/workspaces/:workspaceId/prospects/:prospectId/activities` with
 * `{ kind, occurredAt?, details? }`: records an activity. `email_replied` stops the prospect's
 * follow-up sequences at their next step. Secret keys only (a public token is read-only here).
 */
export const recordActivityRoute: AppRoute = {
  method: "POST",
  path: "/workspaces/:workspaceId/prospects/:prospectId/activities",
  errors: { FORBIDDEN: 403, INVALID_INPUT: 400, PROSPECT_NOT_FOUND: 404 },
  handler: async ({ params, body, auth }) => {
    if (auth.kind !== "secret") {
      throw Object.assign(new Error("Recording activities needs a secret key"), { code: "FORBIDDEN" });
    }
    const parsed = activityBody.safeParse(body);
    if (!parsed.success)
      throw new CrmInputError("INVALID_INPUT", parsed.error.issues[0]?.message ?? "invalid body");
    const db = await crmStore();
    const { rows } = await db.query<{ id: string }>(
      "select id from crm_prospects where workspace_id = $1 and id = $2",
      [params.workspaceId, params.prospectId],
    );
    if (!rows[0])
      throw new CrmInputError("PROSPECT_NOT_FOUND", `Prospect "${params.prospectId}" does not exist`);
    const id = await recordActivity(db, {
      workspaceId: params.workspaceId!,
      prospectId: params.prospectId!,
      kind: parsed.data.kind,
      occurredAt: parsed.data.occurredAt ? new Date(parsed.data.occurredAt) : undefined,
      details: parsed.data.details,
    });
    return { id };
  },
};

/**
 * `POST /api/v1/app/mail/inbound` with `{ "raw": "<RFC 5322 message>" }`: a bounce report, a
 * mailto unsubscribe, or a reply, handed over by the mail server that receives the CRM's mail
 * (secret key only). Answers what it did: `{ kind: bounce | unsubscribe | reply | ignored }`.
 */
export const inboundMailRoute: AppRoute = {
  method: "POST",
  path: "/mail/inbound",
  errors: { FORBIDDEN: 403, INVALID_INPUT: 400, UNSUBSCRIBE_LINK_INVALID: 404 },
  handler: async ({ body, auth }) => {
    if (auth.kind !== "secret") throw new CrmInputError("FORBIDDEN", "Inbound mail needs a secret key");
    const parsed = z.object({ raw: z.string().max(10_000_000) }).safeParse(body);
    if (!parsed.success)
      throw new CrmInputError("INVALID_INPUT", 'The body must be { "raw": "<the message>" }');
    return processInbound(await crmStore(), parsed.data.raw);
  },
};

export const emailRoutes: AppRoute[] = [
  unsubscribeRoute,
  unsubscribeInfoRoute,
  recordActivityRoute,
  inboundMailRoute,
];
