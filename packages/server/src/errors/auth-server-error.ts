import { M2mAuthError } from './m2m-auth-error.js';

/**
 * The authorization server's error contract: every refusal the HTTP layer can send, each with a
 * stable `code`, its RFC 6749 §5.2 `error` value, its HTTP status and a fixed public description.
 * The table is documented in `packages/server/ERRORS.md`; a test keeps both in step.
 */

/**
 * `error` values sent on the wire: RFC 6749 §5.2, RFC 8707 §2 (`invalid_target`),
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1, used here for a 503 at any endpoint), and
 * `not_found` / `method_not_allowed` for requests that do not reach an OAuth endpoint at all.
 */
export type OAuthErrorValue =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unauthorized_client'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'not_found'
  | 'method_not_allowed';

/** What the wire shows for one code. */
export interface AuthServerErrorDefinition {
  /** RFC 6749 §5.2 `error` value. */
  readonly error: OAuthErrorValue;
  /** HTTP status code. */
  readonly status: number;
  /** Fixed `error_description`: never built from input, never names a secret. */
  readonly description: string;
  /** Default `Retry-After`, seconds, for a temporary refusal a client should retry (503). */
  readonly retryAfterSec?: number;
}

// The one table of the HTTP error codes: the code union is derived from its keys.
const AUTH_SERVER_ERROR_TABLE = {
  ERR_REQUEST_HTTP_MALFORMED: {
    error: 'invalid_request',
    status: 400,
    description: 'Malformed HTTP request.',
  },
  ERR_REQUEST_HEADERS_TOO_LARGE: {
    error: 'invalid_request',
    status: 431,
    description: 'The request headers are too large.',
  },
  ERR_REQUEST_TIMEOUT: {
    error: 'invalid_request',
    status: 408,
    description: 'The request was not received in time.',
  },
  ERR_REQUEST_CONTENT_TYPE: {
    error: 'invalid_request',
    status: 400,
    description:
      'Unsupported Content-Type: send application/x-www-form-urlencoded or application/json.',
  },
  ERR_REQUEST_BODY_MALFORMED: {
    error: 'invalid_request',
    status: 400,
    description: 'The request body could not be parsed.',
  },
  ERR_REQUEST_BODY_TOO_LARGE: {
    error: 'invalid_request',
    status: 413,
    description: 'The request body is too large.',
  },
  ERR_REQUEST_PARAMETER_REPEATED: {
    error: 'invalid_request',
    status: 400,
    description: 'A request parameter is included more than once.',
  },
  ERR_REQUEST_PARAMETER_INVALID: {
    error: 'invalid_request',
    status: 400,
    description: 'A request parameter is not a string.',
  },
  ERR_REQUEST_PARAMETER_CONTROL_CHARACTERS: {
    error: 'invalid_request',
    status: 400,
    description: 'A request parameter contains control characters.',
  },
  ERR_REQUEST_TOO_MANY_PARAMETERS: {
    error: 'invalid_request',
    status: 400,
    description: 'The request has too many parameters.',
  },
  ERR_GRANT_TYPE_MISSING: {
    error: 'invalid_request',
    status: 400,
    description: 'The grant_type parameter is missing.',
  },
  ERR_GRANT_TYPE_UNSUPPORTED: {
    error: 'unsupported_grant_type',
    status: 400,
    description: 'Only the client_credentials grant type is supported.',
  },
  ERR_CLIENT_AUTH_MULTIPLE_METHODS: {
    error: 'invalid_request',
    status: 400,
    description: 'Use exactly one client authentication method: HTTP Basic or body parameters.',
  },
  ERR_CLIENT_AUTH_MISSING: {
    error: 'invalid_client',
    status: 401,
    description:
      'Client authentication is required: HTTP Basic, or client_id and client_secret in the body.',
  },
  ERR_CLIENT_AUTH_MALFORMED: {
    error: 'invalid_client',
    status: 401,
    description: 'The Authorization header does not carry valid Basic credentials.',
  },
  ERR_CLIENT_AUTH_CONTROL_CHARACTERS: {
    error: 'invalid_client',
    status: 401,
    description: 'The client credentials contain control characters.',
  },
  ERR_CLIENT_AUTH_METHOD_UNSUPPORTED: {
    error: 'invalid_client',
    status: 401,
    description: 'Unsupported Authorization scheme: use Basic.',
  },
  ERR_CLIENT_AUTH_FAILED: {
    error: 'invalid_client',
    status: 401,
    description: 'Client authentication failed.',
  },
  // RFC 6749 §5.2 has no error for "too many attempts". invalid_client would tell a client
  // library its credentials are wrong (a permanent, configuration fault); temporarily_unavailable
  // (RFC 6749 §4.1.2.1) says "retry later", which is the truth, and 429 + Retry-After (RFC 6585
  // §4, RFC 9110 §10.2.3) tells any HTTP client when.
  ERR_CLIENT_AUTH_RATE_LIMITED: {
    error: 'temporarily_unavailable',
    status: 429,
    description: 'Too many failed client authentications; retry after the time in Retry-After.',
  },
  ERR_SCOPE_NOT_ALLOWED: {
    error: 'invalid_scope',
    status: 400,
    description: 'The requested scope is not allowed for this client.',
  },
  // RFC 6749 §5.2 invalid_scope: the request can succeed by asking for fewer scopes, and a token
  // larger than resource servers accept would fail at every one of them instead.
  ERR_TOKEN_TOO_LARGE: {
    error: 'invalid_scope',
    status: 400,
    description:
      'The access token for these scopes would be larger than resource servers accept (8192 characters); request fewer scopes.',
  },
  ERR_AUDIENCE_MISSING: {
    error: 'invalid_target',
    status: 400,
    description: 'Name the target service with the audience or resource parameter.',
  },
  ERR_AUDIENCE_NOT_ALLOWED: {
    error: 'invalid_target',
    status: 400,
    description: 'The requested audience is not allowed for this client.',
  },
  ERR_AUDIENCE_AMBIGUOUS: {
    error: 'invalid_target',
    status: 400,
    description: 'Request exactly one audience: audience and resource must name the same service.',
  },
  ERR_TOKEN_PARAMETER_MISSING: {
    error: 'invalid_request',
    status: 400,
    description: 'The token parameter is required.',
  },
  // RFC 7662 leaves the refusal of an authenticated but unauthorized caller open; 403 with
  // RFC 6749's unauthorized_client says "you are known, but may not do this".
  ERR_INTROSPECTION_NOT_ALLOWED: {
    error: 'unauthorized_client',
    status: 403,
    description: 'This client is not allowed to introspect tokens.',
  },
  // RFC 7009 §2.1: a token issued to another client is refused with an RFC 6749 §5.2 error.
  ERR_TOKEN_NOT_OWNED: {
    error: 'unauthorized_client',
    status: 400,
    description: 'The token was not issued to this client.',
  },
  ERR_NOT_FOUND: {
    error: 'not_found',
    status: 404,
    description: 'No such endpoint.',
  },
  ERR_METHOD_NOT_ALLOWED: {
    error: 'method_not_allowed',
    status: 405,
    description: 'Method not allowed on this endpoint.',
  },
  ERR_NO_SIGNING_KEY: {
    error: 'temporarily_unavailable',
    status: 503,
    description: 'The authorization server has no signing key and cannot issue tokens right now.',
    // An operator has to act (keys generate); clients should not poll fast meanwhile.
    retryAfterSec: 30,
  },
  ERR_STORE_UNAVAILABLE: {
    error: 'temporarily_unavailable',
    status: 503,
    description: 'The authorization server cannot reach its database; retry later.',
    // The server re-checks its database at least every second and serves again as soon as it
    // answers: a short wait lets clients come back without a stampede of immediate retries.
    retryAfterSec: 2,
  },
  ERR_INTERNAL: {
    error: 'server_error',
    status: 500,
    description: 'Internal server error.',
  },
} satisfies Record<`ERR_${string}`, AuthServerErrorDefinition>;

/** Stable codes of {@link AuthServerError}; switch on these, never on messages. */
export type AuthServerErrorCode = keyof typeof AUTH_SERVER_ERROR_TABLE;

/** Every code with its wire form; ERRORS.md is the human-readable copy of this table. */
export const AUTH_SERVER_ERRORS: Readonly<Record<AuthServerErrorCode, AuthServerErrorDefinition>> =
  Object.freeze(AUTH_SERVER_ERROR_TABLE);

/**
 * The HTTP error of the authorization server. Its `code` is stable, its wire form (`error`,
 * `status`, `description`) is fixed per code, and its `cause` (the private detail) is logged by the
 * server and never sent.
 *
 * Implements the error response of RFC 6749 §5.2 and RFC 8707 §2.
 *
 * @param code - one of {@link AuthServerErrorCode}.
 * @param options - `cause`: private detail for the logs (an Error or a short string);
 *   `retryAfterSec`: seconds to send as `Retry-After`.
 *
 * @example
 * ```ts
 * const err = new AuthServerError('ERR_SCOPE_NOT_ALLOWED', { cause: 'scope "admin" not allowed' });
 * err.status; // 400
 * JSON.stringify(err);
 * // {"error":"invalid_scope","error_description":"The requested scope is not allowed for this client."}
 * ```
 */
export class AuthServerError extends M2mAuthError<AuthServerErrorCode> {
  /** RFC 6749 §5.2 `error` value sent on the wire. */
  readonly error: OAuthErrorValue;
  /** HTTP status sent on the wire. */
  readonly status: number;
  /** Seconds after which the request may be retried, sent as `Retry-After` (RFC 9110 §10.2.3). */
  readonly retryAfterSec: number | undefined;

  constructor(code: AuthServerErrorCode, options?: { cause?: unknown; retryAfterSec?: number }) {
    const definition = AUTH_SERVER_ERRORS[code];
    super(code, definition.description, options);
    this.name = 'AuthServerError';
    this.error = definition.error;
    this.status = definition.status;
    this.retryAfterSec = options?.retryAfterSec ?? definition.retryAfterSec;
  }

  /** The fixed public `error_description` (same as `message`). */
  get description(): string {
    return this.message;
  }

  /** The RFC 6749 §5.2 JSON body: `{ error, error_description }`. */
  toJSON(): { error: OAuthErrorValue; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}
