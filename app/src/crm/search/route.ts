import type { AppRoute } from "@mainspring/sdk";
import { searchDocuments } from "./search.js";

/**
 * `GET /api/v1/app/workspaces/:workspaceId/search?q=…&limit=…`: hybrid search over one
 * workspace's documents. A secret key may search any workspace; a public access token only
 * the workspaces it can read (`read:tags:workspace:<id>`, the tag every workspace run carries).
 */
export const searchRoute: AppRoute = {
  method: "GET",
  path: "/workspaces/:workspaceId/search",
  errors: {
    FORBIDDEN: 403,
    INVALID_INPUT: 400,
    WORKSPACE_NOT_FOUND: 404,
    EMBEDDING_FAILED: 502,
    CRM_NOT_READY: 503,
  },
  handler: async ({ params, query, auth }) => {
    const workspaceId = params.workspaceId!;
    if (!auth.can("read", "tags", `workspace:${workspaceId}`)) {
      throw Object.assign(new Error(`This access token cannot search workspace "${workspaceId}"`), {
        code: "FORBIDDEN",
      });
    }
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    return searchDocuments({ workspaceId, query: query.q ?? "", limit });
  },
};
