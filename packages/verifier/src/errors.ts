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

/**
 * What was expected and what the token carried, for the failures a wrong setting or a drifting
 * clock causes: so that the receiver's log line says which value to fix. Never the token, its
 * signature or claims beyond these. Received values come from an unverified token when the
 * signature failed or was not checked yet: treat them as untrusted text.
 */
export interface VerifierErrorDetails {
  /** `ERR_ISSUER_INVALID`: the configured issuer. */
  readonly expectedIssuer?: string;
  /** `ERR_ISSUER_INVALID`: the token's `iss` (absent when it has none). */
  readonly receivedIssuer?: string;
  /** `ERR_AUDIENCE_INVALID`: the configured audiences. */
  readonly expectedAudiences?: readonly string[];
  /** `ERR_AUDIENCE_INVALID`: the token's `aud`, as a list. */
  readonly receivedAudiences?: readonly string[];
  /** Time failures: the claim compared (`exp`, `nbf`, `iat`). */
  readonly timeClaim?: 'exp' | 'nbf' | 'iat';
  /**
   * Time failures: the claim's value minus the verifier's clock, in seconds (rounded to 0.001).
   * Positive: the claim lies in the future (an `iat` of +42 means the issuer's clock is 42 s ahead,
   * or this one behind); negative: in the past (an `exp` of -30 means expired 30 s ago).
   */
  readonly clockDifferenceSec?: number;
  /** Time failures: the tolerance that was allowed, seconds. */
  readonly clockToleranceSec?: number;
  /** Key failures: the token's `kid` header (absent when it has none). */
  readonly kid?: string;
  /** Key failures: where the keys come from, e.g. `key file /srv/keys/jwks.json` or the JWKS URL. */
  readonly keySource?: string;
  /** Key failures: the kids the verifier holds (a PEM key's RFC 7638 thumbprint). */
  readonly knownKids?: readonly string[];
}

/** Extra facts about a failure, for callers and logs; never token contents. */
export interface VerifierErrorOptions {
  /** Expected and received values (see {@link VerifierErrorDetails}). */
  details?: VerifierErrorDetails;
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
   * Expected and received values for a failure a setting or a clock causes (issuer, audience, time
   * claims, kid); `undefined` for the others. Not part of the HTTP answer: for logs and callers.
   */
  readonly details: VerifierErrorDetails | undefined;

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
    this.details = options.details === undefined ? undefined : Object.freeze(options.details);
  }
}

/** Longest received value quoted in a log line: claim values come from the token's sender. */
const MAX_LOGGED_VALUE = 200;

/**
 * One line for the receiver's log: the error's message (the text the HTTP answer carries) and, when
 * it has {@link VerifierErrorDetails}, what was expected and received. Values are JSON-quoted and
 * cut at 200 characters, so a hostile claim cannot forge log lines. Never contains the token.
 *
 * @param error - the failure.
 * @returns e.g. `aud claim names none of the expected audiences (expected audience ["ms_college"], received ["ms_doctor"])`.
 */
export function describeVerifierError(error: VerifierError): string {
  const d = error.details;
  if (d === undefined) return error.message;
  const parts: string[] = [];
  if (d.expectedIssuer !== undefined || d.receivedIssuer !== undefined) {
    parts.push(`expected issuer ${quote(d.expectedIssuer)}, received ${quote(d.receivedIssuer)}`);
  }
  if (d.expectedAudiences !== undefined || d.receivedAudiences !== undefined) {
    parts.push(
      `expected audience ${quoteList(d.expectedAudiences)}, received ${quoteList(d.receivedAudiences)}`,
    );
  }
  if (d.clockDifferenceSec !== undefined) {
    const ahead = d.clockDifferenceSec >= 0;
    parts.push(
      `${d.timeClaim ?? 'time'} claim is ${Math.abs(d.clockDifferenceSec)} s ${ahead ? 'ahead of' : 'behind'} this clock (tolerance ${d.clockToleranceSec ?? 0} s)`,
    );
  }
  if (error.code !== 'ERR_KEY_UNKNOWN' && d.kid !== undefined) parts.push(`kid ${quote(d.kid)}`);
  if (error.code === 'ERR_KEY_UNKNOWN' && d.keySource !== undefined) {
    const held = `it holds ${quoteList(d.knownKids)}`;
    parts.push(
      d.keySource.startsWith('key file ')
        ? `no key with kid ${quote(d.kid)} in ${d.keySource.slice('key file '.length)}; is the file stale? (${held})`
        : `no key with kid ${quote(d.kid)} at ${d.keySource} (${held})`,
    );
  }
  return parts.length === 0 ? error.message : `${error.message} (${parts.join('; ')})`;
}

function quote(value: string | undefined): string {
  if (value === undefined) return 'none';
  return JSON.stringify(
    value.length > MAX_LOGGED_VALUE ? `${value.slice(0, MAX_LOGGED_VALUE)}…` : value,
  );
}

function quoteList(values: readonly string[] | undefined): string {
  if (values === undefined) return 'none';
  return `[${values.slice(0, 10).map(quote).join(', ')}${values.length > 10 ? ', …' : ''}]`;
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
