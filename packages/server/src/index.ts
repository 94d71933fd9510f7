// The `@m2m-auth/server` entry: embed the authorization server. Start it (or build the Fastify
// app to listen or `inject` yourself), open its store, and catch its one error base. Everything
// else has its own subpath: ./clients, ./keys, ./tokens, ./audit, ./provision, ./passport,
// ./admin, ./http, ./errors, ./cli.

export { type OpenStoreOptions, openStore } from './app/open-store.js';
export type { Store } from './app/store.js';
export type { AuditStoreOptions } from './audit/audit-writer.js';
export type { ClientJwksCacheOptions } from './clients/client-jwks-cache.js';
export { M2mAuthError } from './errors/m2m-auth-error.js';
export type { M2mAuthErrorCode } from './errors.js';
export type { ClientAssertionSettings } from './grants/verify-client-assertion.js';
export {
  type BuildServerOptions,
  buildServer,
  type ServerLoggerOptions,
} from './http/build-server.js';
export { type RunningServer, type StartServerOptions, startServer } from './http/start-server.js';
export type { AuthFailureLimitOptions } from './limits/auth-failure-limiter.js';
export type { ServerMetricsOptions } from './metrics/server-metrics.js';
