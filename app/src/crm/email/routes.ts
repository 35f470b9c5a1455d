import type { AppRoute } from "@mainspring/sdk";
import { crmStore } from "../../db/store.js";
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

export const emailRoutes: AppRoute[] = [unsubscribeRoute, unsubscribeInfoRoute];
