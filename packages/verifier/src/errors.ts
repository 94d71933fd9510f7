/**
 * Every way a verification can fail, as a stable `code` callers can `switch` on, with its HTTP
 * mapping (RFC 6750 §3.1). ERRORS.md lists the same table; a test keeps the two in agreement.
 */

/** The RFC 6750 §3.1 `error` attribute, or `undefined` when the challenge carries none. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** How one error code is answered over HTTP. */
export interface VerifierErrorInfo {
  /** HTTP status code. */
  readonly status: 400 | 401 | 403 | 503;
  /**
   * RFC 6750 §3.1 `error` attribute of the `WWW-Authenticate` challenge; `undefined` when the
   * request carried no bearer token at all (§3.1: no error code then) or when the failure is not
   * about the token (an outage answers 503 without a challenge).
   */
  readonly bearerError: BearerErrorCode | undefined;
  /** The `error` member of the JSON body. */
  readonly bodyError: string;
}

/**
 * The code table. Order is the order of ERRORS.md.
 */
const ERROR_INFO = {
  ERR_TOKEN_MISSING: { status: 401, bearerError: undefined, bodyError: 'unauthorized' },
  ERR_AUTH_SCHEME_UNSUPPORTED: { status: 401, bearerError: undefined, bodyError: 'unauthorized' },
  ERR_REQUEST_MALFORMED: {
    status: 400,
    bearerError: 'invalid_request',
    bodyError: 'invalid_request',
  },
  ERR_TOKEN_TOO_LARGE: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_TOKEN_MALFORMED: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_TOKEN_TYPE_INVALID: {
    status: 401,
    bearerError: 'invalid_token',
    bodyError: 'invalid_token',
  },
  ERR_ALGORITHM_NOT_ALLOWED: {
    status: 401,
    bearerError: 'invalid_token',
    bodyError: 'invalid_token',
  },
  ERR_KEY_UNKNOWN: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_SIGNATURE_INVALID: {
    status: 401,
    bearerError: 'invalid_token',
    bodyError: 'invalid_token',
  },
  ERR_TOKEN_EXPIRED: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_TOKEN_NOT_YET_VALID: {
    status: 401,
    bearerError: 'invalid_token',
    bodyError: 'invalid_token',
  },
  ERR_ISSUER_INVALID: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_AUDIENCE_INVALID: {
    status: 401,
    bearerError: 'invalid_token',
    bodyError: 'invalid_token',
  },
  ERR_CLAIM_INVALID: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_TOKEN_REVOKED: { status: 401, bearerError: 'invalid_token', bodyError: 'invalid_token' },
  ERR_INSUFFICIENT_SCOPE: {
    status: 403,
    bearerError: 'insufficient_scope',
    bodyError: 'insufficient_scope',
  },
  ERR_JWKS_UNAVAILABLE: {
    status: 503,
    bearerError: undefined,
    bodyError: 'temporarily_unavailable',
  },
  ERR_REVOCATIONS_UNAVAILABLE: {
    status: 503,
    bearerError: undefined,
    bodyError: 'temporarily_unavailable',
  },
} as const satisfies Record<string, VerifierErrorInfo>;

/**
 * Stable code of a {@link VerifierError}:
 * - `ERR_TOKEN_MISSING`: the request carried no `Authorization` header.
 * - `ERR_AUTH_SCHEME_UNSUPPORTED`: the `Authorization` header uses another scheme than `Bearer`.
 * - `ERR_REQUEST_MALFORMED`: a malformed `Authorization` header, several tokens or headers.
 * - `ERR_TOKEN_TOO_LARGE`: the token is longer than `maxTokenLength`; it was not parsed.
 * - `ERR_TOKEN_MALFORMED`: not a canonical three-part JWS with JSON object header and claims.
 * - `ERR_TOKEN_TYPE_INVALID`: the `typ` header is not the expected one (`at+jwt`, or `JWT` in
 *   Passport mode).
 * - `ERR_ALGORITHM_NOT_ALLOWED`: `alg` is not one of the allowed algorithms (`none` and HMAC never).
 * - `ERR_KEY_UNKNOWN`: no trusted key matches the token's `kid`, even after a refetch.
 * - `ERR_SIGNATURE_INVALID`: the signature does not verify with the trusted key.
 * - `ERR_TOKEN_EXPIRED`: `exp` has passed (or the token is older than `maxTokenAgeSec`).
 * - `ERR_TOKEN_NOT_YET_VALID`: `nbf` or `iat` lies in the future.
 * - `ERR_ISSUER_INVALID`: `iss` is not exactly the configured issuer.
 * - `ERR_AUDIENCE_INVALID`: `aud` names none of the configured audiences.
 * - `ERR_CLAIM_INVALID`: a required claim is missing or has the wrong type (see `claim`).
 * - `ERR_TOKEN_REVOKED`: the revocation feed lists the token's `jti` or its client.
 * - `ERR_INSUFFICIENT_SCOPE`: a valid token without a required scope (HTTP 403).
 * - `ERR_JWKS_UNAVAILABLE`: the keys could not be loaded (JWKS unreachable, key file unreadable):
 *   an outage, not a bad token (HTTP 503).
 * - `ERR_REVOCATIONS_UNAVAILABLE`: the revocation feed has not been fetched for longer than
 *   `revocationsMaxStaleSec` and `revocationsWhenStale` is `"refuse"` (HTTP 503).
 */
export type VerifierErrorCode = keyof typeof ERROR_INFO;

/** Every {@link VerifierErrorCode}, in the order of ERRORS.md. */
export const VERIFIER_ERROR_CODES: readonly VerifierErrorCode[] = Object.freeze(
  Object.keys(ERROR_INFO) as VerifierErrorCode[],
);

/**
 * The HTTP mapping of an error code.
 *
 * @param code - a {@link VerifierErrorCode}.
 * @returns its status, RFC 6750 `error` attribute and JSON body `error`.
 * @example
 * ```ts
 * getVerifierErrorInfo('ERR_INSUFFICIENT_SCOPE').status; // 403
 * ```
 */
export function getVerifierErrorInfo(code: VerifierErrorCode): VerifierErrorInfo {
  return ERROR_INFO[code];
}

/** Extra facts about a failure, for callers and logs; never token contents. */
export interface VerifierErrorOptions {
  /** The underlying error (network error, jose error); logged, never sent to the client. */
  cause?: unknown;
  /** The claim at fault, for `ERR_CLAIM_INVALID` (e.g. `"exp"`). */
  claim?: string;
  /** The scopes a route requires, for `ERR_INSUFFICIENT_SCOPE` (RFC 6750 §3 `scope`). */
  requiredScopes?: readonly string[];
}

/**
 * The one error class of `@m2m-auth/verifier`. Branch on `code`, not on `message`. Messages name
 * the claim or the reason and never contain the token or its contents, so they are safe to log.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token);
 * } catch (err) {
 *   if (err instanceof VerifierError && err.code === 'ERR_TOKEN_EXPIRED') {
 *     // ask the caller to fetch a new token
 *   }
 * }
 * ```
 */
export class VerifierError extends Error {
  override readonly name = 'VerifierError';
  /** Stable code; see {@link VerifierErrorCode}. */
  readonly code: VerifierErrorCode;
  /** HTTP status this failure answers with (400, 401, 403 or 503). */
  readonly status: number;
  /** RFC 6750 §3.1 `error` attribute, `undefined` when the challenge carries none. */
  readonly bearerError: BearerErrorCode | undefined;
  /** The claim at fault, for `ERR_CLAIM_INVALID`. */
  readonly claim: string | undefined;
  /** The scopes that were required, for `ERR_INSUFFICIENT_SCOPE`. */
  readonly requiredScopes: readonly string[] | undefined;

  /**
   * @param code - the stable code.
   * @param message - a one-line reason, safe to log and to send (no token contents, no quotes).
   * @param options - cause, claim, required scopes.
   */
  constructor(code: VerifierErrorCode, message: string, options: VerifierErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const info = ERROR_INFO[code];
    this.code = code;
    this.status = info.status;
    this.bearerError = info.bearerError;
    this.claim = options.claim;
    this.requiredScopes = options.requiredScopes;
  }
}

/**
 * Whether a value is a {@link VerifierError} (also across duplicated copies of this package).
 *
 * @param value - anything caught.
 * @example
 * ```ts
 * if (isVerifierError(err)) console.warn(err.code);
 * ```
 */
export function isVerifierError(value: unknown): value is VerifierError {
  if (value instanceof VerifierError) return true;
  if (!(value instanceof Error) || value.name !== 'VerifierError') return false;
  const code: unknown = (value as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(ERROR_INFO, code);
}
