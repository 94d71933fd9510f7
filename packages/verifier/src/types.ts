import type { VerifierErrorCode } from './errors.js';
/**
 * Public types shared by the verifier core and the adapters.
 */

/**
 * JWS algorithms the verifier can accept (RFC 7518 §3.1; RFC 8037 and RFC 9864 for `EdDSA` /
 * `Ed25519`). `none` and the HMAC algorithms are never accepted: a resource server holds no secret
 * that could verify them.
 */
export type SupportedAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'Ed25519';

/**
 * The shape of the tokens a verifier accepts:
 * - `rfc9068`: JWT access tokens per RFC 9068 (header `typ: at+jwt`; claims `iss`, `aud` = this
 *   service, `sub`, `client_id`, `scope` as a space-delimited string, `iat`, `exp`, `jti`), as the
 *   m2m-auth authorization server issues them.
 * - `passport`: tokens of an existing Laravel Passport server (header `typ: JWT`, no `kid`; `aud`
 *   = the calling client's id, `scopes` an array claim, no `iss`), so that services can move to
 *   m2m-auth one at a time.
 */
export type TokenFormat = 'rfc9068' | 'passport';

/**
 * The claims of a verified access token (RFC 9068 §2.2, RFC 7519 §4.1). Frozen: the same object
 * may be returned for repeated verifications of one token.
 */
export interface AccessTokenClaims {
  /** Issuer (RFC 7519 §4.1.1); absent in Passport tokens. */
  readonly iss?: string;
  /** Subject: the client_id in client_credentials tokens (RFC 9068 §2.2). */
  readonly sub?: string;
  /** Audience (RFC 7519 §4.1.3): this service; in Passport tokens the calling client's id. */
  readonly aud: string | readonly string[];
  /** Expiration time, Unix seconds (may carry a fraction in Passport tokens). */
  readonly exp: number;
  /** Issued-at time, Unix seconds. */
  readonly iat?: number;
  /** Not-before time, Unix seconds. */
  readonly nbf?: number;
  /** Token id (RFC 7519 §4.1.7). */
  readonly jti?: string;
  /** The calling client (RFC 9068 §2.2 / RFC 8693 §4.3). */
  readonly client_id?: string;
  /** Granted scopes, space-delimited (RFC 9068 §2.2.3). */
  readonly scope?: string;
  /** Granted scopes as an array (Laravel Passport). */
  readonly scopes?: readonly string[];
  /** Any other claim. */
  readonly [claim: string]: unknown;
}

/**
 * Who called and what they may do: what a protected request carries after verification
 * (`req.auth` in Express, `request.auth` in Fastify). Frozen.
 */
export interface AuthInfo {
  /** The calling client's id: `client_id` (RFC 9068), or `aud` for Passport tokens. */
  readonly clientId: string;
  /** The granted scopes, in token order. */
  readonly scopes: readonly string[];
  /** Every verified claim. */
  readonly claims: AccessTokenClaims;
  /**
   * The `name` of the token source that accepted the token, when the verifier has several
   * (`sources` option); absent otherwise.
   */
  readonly source?: string;
}

/**
 * What a verifier reports to {@link VerifierOptions.onEvent}, for metrics in the receiving
 * service's own registry (Prometheus, OpenTelemetry, StatsD…): the values are bounded (error
 * codes, fixed outcomes), never a token or a claim.
 * - `token_accepted`: a token passed every check; `cached` when it came from the verified-token
 *   cache.
 * - `token_refused`: verification failed with `code` (ERRORS.md), including a missing or
 *   malformed `Authorization` header and `ERR_INSUFFICIENT_SCOPE`.
 * - `keys_refreshed`: one load of the key source (JWKS URL or key file): `updated` (new key set),
 *   `unchanged` (the source had not changed) or `failed` (the cached keys are kept).
 */
export type VerifierEvent =
  | { readonly type: 'token_accepted'; readonly cached: boolean }
  | { readonly type: 'token_refused'; readonly code: VerifierErrorCode }
  | {
      readonly type: 'keys_refreshed';
      readonly outcome: 'updated' | 'unchanged' | 'failed';
      readonly source: 'jwks' | 'key_file' | 'public_key';
    };

/** Where the verifier writes outages and ignored keys. Never tokens. */
export interface VerifierLogger {
  /** One line about a degraded condition (JWKS unreachable, key ignored, key file unreadable). */
  warn(message: string): void;
  /**
   * One line per token refused for a reason a setting or a clock can cause (issuer, audience, time
   * claims, unknown kid, signature), with the expected and received values; never the token.
   * Optional: a logger without it gets none of these lines.
   */
  info?(message: string): void;
}

/**
 * What a verifier does once the revocation feed has not been fetched for longer than
 * `revocationsMaxStaleSec` (or never was):
 * - `refuse`: every verification fails with `ERR_REVOCATIONS_UNAVAILABLE` (HTTP 503) until a
 *   fetch succeeds — a revocation is never missed, at the cost of availability;
 * - `accept`: tokens keep verifying against the last list — a token revoked during the outage
 *   stays accepted until it expires, as without a feed.
 */
export type RevocationsWhenStale = 'refuse' | 'accept';

/** The state of a verifier's copy of the revocation feed (`verifier.revocationStatus()`). */
export interface RevocationStatus {
  /** When the list was last fetched successfully (a 304 counts), or undefined if never. */
  readonly fetchedAt: Date | undefined;
  /** Seconds since `fetchedAt`, or undefined if never fetched. */
  readonly ageSec: number | undefined;
  /** True when older than `revocationsMaxStaleSec` or never fetched. */
  readonly stale: boolean;
  /** How many clients the list revokes. */
  readonly revokedClients: number;
  /** How many token ids the list revokes. */
  readonly revokedTokens: number;
  /** Reason of the last failed fetch, while failing; undefined once a fetch succeeds. */
  readonly lastError: string | undefined;
}
