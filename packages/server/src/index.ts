export { createApp } from "./app.js";
export {
  type ApiKeyRecord,
  createKey,
  ensureFirstKey,
  type KeyEnvironment,
  listKeys,
  revokeKey,
} from "./auth/keys.js";
export { parseScope, type Scope } from "./auth/scopes.js";
export { DEFAULT_SERVER_LIMITS, type ServerContext, type ServerLimits } from "./context.js";
export { type RunningServer, type ServerOptions, startServer } from "./server.js";
