import type { FastifyRequest } from 'fastify';
import type { Store } from '../../app/store.js';
import type { AssertionJtiStore } from '../../clients/assertion-jti-store.js';
import type { ClientJwksCache } from '../../clients/client-jwks-cache.js';
import type { TrustStore } from '../../clients/trust-store.js';
import type { TokenRequestFacts } from '../../grants/client-credentials-grant.js';
import type { ClientAssertionSettings } from '../../grants/verify-client-assertion.js';
import type { AuthFailureLimiter } from '../../limits/auth-failure-limiter.js';
import type { ServerMetrics } from '../../metrics/server-metrics.js';
import type { StoreCache } from './store-cache.js';
import type { TokenAudit } from './token-audit.js';

/** What the routes share: the store view and the settings resolved by buildServer. */
export interface ServerContext {
  readonly cache: StoreCache;
  /** The store, for the few writes the HTTP layer makes (RFC 7009 revocations). */
  readonly store: Store;
  /** Issuer identifier; mutable so startServer can fill it in after binding port 0. */
  issuer: string;
  /**
   * The issuer's path without trailing slashes (`/tenant1`), or '' when it has none: every route
   * is served under it. Fixed at build time (an issuer filled in later has no path).
   */
  readonly basePath: string;
  /** Realm of `WWW-Authenticate: Basic`. */
  readonly realm: string;
  /** `Cache-Control: max-age` of the JWKS, seconds. */
  readonly jwksMaxAgeSec: number;
  /** `Cache-Control: max-age` of the metadata document, seconds. */
  readonly metadataMaxAgeSec: number;
  /** Limiter of failed client authentications; undefined when disabled. */
  readonly authFailureLimiter: AuthFailureLimiter | undefined;
  /** Audit events of token requests. */
  readonly audit: TokenAudit;
  /**
   * Checks of adopted legacy secret hashes (bcrypt/argon2id from Laravel Passport): slow by design,
   * so counted and logged; `succeeded` ones were replaced by the server's own hash.
   */
  readonly legacySecretVerifications: { succeeded: number; failed: number };
  /** private_key_jwt: the assertion rules, the jwks_uri fetcher, the used-jti store. */
  readonly clientAssertion: {
    readonly settings: ClientAssertionSettings;
    readonly jwks: ClientJwksCache;
    readonly jtis: AssertionJtiStore;
    /** Trusted external issuers and bound subjects (workload identity). */
    readonly trust: TrustStore;
  };
  /** Set when shutdown begins (SIGTERM): `/readyz` answers 503 `draining` from then on. */
  draining: boolean;
  /** Prometheus metrics; undefined when off. */
  readonly metrics: ServerMetrics | undefined;
  /** What the grant learned about each token request, for auditing its refusal. */
  readonly tokenRequestFacts: WeakMap<FastifyRequest, TokenRequestFacts>;
}

/** The issuer without trailing slashes, for building endpoint URLs. */
export function issuerBase(context: Pick<ServerContext, 'issuer'>): string {
  return context.issuer.replace(/\/+$/, '');
}
