/**
 * Errors of `@m2m-auth/client`: one class, {@link TokenClientError}, with a stable `code` from
 * {@link TokenClientErrorCode}. Callers `switch (err.code)`; messages are for humans and may change.
 *
 * Misused options are not `TokenClientError`s: they throw `TypeError` at creation (or reject a call
 * with `TypeError` for a bad per-call argument), as a programming error should.
 *
 * @packageDocumentation
 */

/**
 * Every code a {@link TokenClientError} can carry, in the order of ERRORS.md: the one table the
 * {@link TokenClientErrorCode} union is derived from, listed at runtime (and frozen) so
 * documentation and tests can check they agree.
 */
export const TOKEN_CLIENT_ERROR_CODES = Object.freeze([
  'ERR_INVALID_CLIENT',
  'ERR_UNAUTHORIZED_CLIENT',
  'ERR_INVALID_SCOPE',
  'ERR_INVALID_TARGET',
  'ERR_TOKEN_REQUEST_REJECTED',
  'ERR_AUTH_SERVER_UNAVAILABLE',
  'ERR_INVALID_TOKEN_RESPONSE',
  'ERR_CLIENT_ASSERTION_UNAVAILABLE',
] as const);

/**
 * Stable code of a {@link TokenClientError}:
 * - `ERR_INVALID_CLIENT`: the authorization server did not authenticate the client
 *   (RFC 6749 §5.2 `invalid_client`: wrong client_id or secret, revoked client). Not retried.
 * - `ERR_UNAUTHORIZED_CLIENT`: the client may not use the client_credentials grant
 *   (`unauthorized_client`). Not retried.
 * - `ERR_INVALID_SCOPE`: a requested scope is unknown or not allowed for this client
 *   (`invalid_scope`). Not retried.
 * - `ERR_INVALID_TARGET`: the requested audience is unknown or not allowed for this client
 *   (RFC 8707 §2 `invalid_target`). Not retried.
 * - `ERR_TOKEN_REQUEST_REJECTED`: any other 4xx answer (`invalid_request`,
 *   `unsupported_grant_type`, an unknown error code, or no RFC 6749 error body). Not retried.
 * - `ERR_AUTH_SERVER_UNAVAILABLE`: network errors, timeouts, 429 and 5xx answers went on for longer
 *   than the retry time allowed (`totalTimeoutMs`), or `Retry-After` asked for a longer wait.
 * - `ERR_INVALID_TOKEN_RESPONSE`: a 2xx answer that is not an RFC 6749 §5.1 Bearer token response.
 * - `ERR_CLIENT_ASSERTION_UNAVAILABLE`: no client assertion could be made: the assertion file
 *   cannot be read or holds no JWT, or the server's metadata names no issuer (the `aud`). Not
 *   retried.
 */
export type TokenClientErrorCode = (typeof TOKEN_CLIENT_ERROR_CODES)[number];

/** Details a {@link TokenClientError} carries besides its code and message. */
export interface TokenClientErrorDetails {
  /** RFC 6749 §5.2 `error` returned by the authorization server, e.g. `invalid_client`. */
  oauthError?: string | undefined;
  /** RFC 6749 §5.2 `error_description` returned by the authorization server. */
  oauthErrorDescription?: string | undefined;
  /** HTTP status of the last answer of the authorization server, when there was one. */
  status?: number | undefined;
  /** The last `Retry-After` the authorization server sent, in seconds. */
  retryAfterSec?: number | undefined;
  /** How many token requests were sent before giving up (1 for a non-retried rejection). */
  attempts?: number | undefined;
  /** The underlying error (e.g. the network error of the last attempt). */
  cause?: unknown;
}

/**
 * The one error class of `@m2m-auth/client`, thrown (rejected) by `getToken` and `client.fetch`
 * when no access token can be obtained.
 *
 * Messages name the reason and the authorization server's RFC 6749 error code, never a client
 * secret or a token.
 *
 * @example
 * ```ts
 * import { TokenClientError } from '@m2m-auth/client/errors';
 *
 * try {
 *   await auth.getToken({ audience: 'ms_doctor' });
 * } catch (err) {
 *   if (err instanceof TokenClientError && err.code === 'ERR_INVALID_CLIENT') {
 *     console.error('check OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET:', err.message);
 *   }
 *   throw err;
 * }
 * ```
 * @see RFC 6749 §5.2 (error response), RFC 8707 §2 (`invalid_target`)
 */
export class TokenClientError extends Error {
  /** Stable code; see {@link TokenClientErrorCode}. */
  readonly code: TokenClientErrorCode;
  /** RFC 6749 §5.2 `error` returned by the authorization server, e.g. `invalid_scope`. */
  readonly oauthError: string | undefined;
  /** RFC 6749 §5.2 `error_description` returned by the authorization server. */
  readonly oauthErrorDescription: string | undefined;
  /** HTTP status of the last answer of the authorization server, when there was one. */
  readonly status: number | undefined;
  /** The last `Retry-After` the authorization server sent, in seconds. */
  readonly retryAfterSec: number | undefined;
  /** How many token requests were sent before giving up. */
  readonly attempts: number;

  /**
   * @param code - Stable code.
   * @param message - Human-readable reason; must not contain secrets or tokens.
   * @param details - RFC error fields, HTTP status, attempts and cause.
   */
  constructor(code: TokenClientErrorCode, message: string, details: TokenClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenClientError';
    this.code = code;
    this.oauthError = details.oauthError;
    this.oauthErrorDescription = details.oauthErrorDescription;
    this.status = details.status;
    this.retryAfterSec = details.retryAfterSec;
    this.attempts = details.attempts ?? 0;
  }
}
