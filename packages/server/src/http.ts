// The `@m2m-auth/server/http` entry: the defaults of `buildServer`'s options, the failure limiter
// of client authentication, the metric names, and the health and readiness problems it reports.

export type { ReadinessProblem } from './http/internal/check-readiness.js';
export type { HealthProblem } from './http/routes/health-route.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_JWKS_MAX_AGE_SEC,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './http/server-defaults.js';
export {
  AuthFailureLimiter,
  type AuthFailureLimitOptions,
  type AuthFailureLimitRefusal,
  type AuthFailureLimitScope,
  DEFAULT_AUTH_FAILURE_LIMITS,
} from './limits/auth-failure-limiter.js';
export {
  type ClientAuthFailureReason,
  SERVER_METRIC_NAMES,
  type ServerMetricsOptions,
} from './metrics/server-metrics.js';
