import { TokenClientError, type TokenClientErrorCode } from '../errors.js';
import { assertionCredentials } from './assertion-credentials.js';
import { parseRetryAfter } from './parse-retry-after.js';
import { readJwtExp } from './read-jwt-exp.js';
import { formEncode, type ResolvedOptions } from './resolve-options.js';

/**
 * Lifetime assumed when a token response has no `expires_in` (RFC 6749 §5.1 only RECOMMENDS it)
 * and the token is not a JWT with an `exp`.
 */
export const DEFAULT_EXPIRES_IN_SEC = 60;

/** What the client asks a token for: the audience and the canonical scope. */
export interface TokenTarget {
  readonly audience: string | undefined;
  readonly scope: string | undefined;
}

/** A successful token response (RFC 6749 §5.1), reduced to what the cache needs. */
export interface TokenResponse {
  readonly accessToken: string;
  /** Lifetime from the response's `expires_in`, seconds; `undefined` when the response has none. */
  readonly expiresInSec: number | undefined;
  /** The `exp` the token carries when it is a JWT, Unix seconds; `undefined` otherwise. */
  readonly jwtExpSec: number | undefined;
}

/** Outcome of one attempt that may be retried: network error, timeout, 408, 429 or 5xx. */
export interface RetryableFailure {
  /** Short reason for messages, e.g. `HTTP 503` or `connection refused (ECONNREFUSED)`. */
  readonly reason: string;
  readonly status?: number | undefined;
  /** Retry-After of the answer, seconds. */
  readonly retryAfterSec?: number | undefined;
  readonly cause?: unknown;
}

/** One attempt's outcome; non-retryable failures are thrown as {@link TokenClientError}. */
export type AttemptOutcome =
  | { readonly ok: true; readonly token: TokenResponse }
  | { readonly ok: false; readonly failure: RetryableFailure };

const NOT_RETRIED: Readonly<Record<string, TokenClientErrorCode>> = {
  invalid_client: 'ERR_INVALID_CLIENT',
  unauthorized_client: 'ERR_UNAUTHORIZED_CLIENT',
  invalid_scope: 'ERR_INVALID_SCOPE',
  invalid_target: 'ERR_INVALID_TARGET',
};

/** RFC 6750 §2.1 b64token: what may follow `Bearer ` in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Sends one client_credentials token request (RFC 6749 §4.4.2) and classifies the answer.
 *
 * @param options - Resolved client options (endpoint, credentials, fetch).
 * @param target - Audience and scope of the token.
 * @param timeoutMs - Time allowed for this attempt, milliseconds (connection, answer and body).
 * @param attempt - Number of this attempt, from 1 (carried by thrown errors).
 * @param stop - Aborts the attempt early (the caller's overall deadline).
 * @throws TokenClientError `ERR_INVALID_CLIENT`, `ERR_UNAUTHORIZED_CLIENT`, `ERR_INVALID_SCOPE`,
 *   `ERR_INVALID_TARGET`, `ERR_TOKEN_REQUEST_REJECTED` or `ERR_INVALID_TOKEN_RESPONSE`.
 */
export async function sendTokenRequest(
  options: ResolvedOptions,
  target: TokenTarget,
  timeoutMs: number,
  attempt: number,
  stop?: AbortSignal,
): Promise<AttemptOutcome> {
  let body = 'grant_type=client_credentials';
  if (target.scope !== undefined) body += `&scope=${formEncode(target.scope)}`;
  if (target.audience !== undefined) body += `&audience=${formEncode(target.audience)}`;
  body += options.bodyCredentials;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    if (options.assertion !== undefined) {
      try {
        body += await assertionCredentials(options.assertion, options.fetch, controller.signal);
      } catch (err) {
        if (err instanceof TokenClientError) throw err;
        return {
          ok: false,
          failure: describeNetworkError(err, controller.signal.aborted, timeoutMs),
        };
      }
    }
    let response: Response;
    let text: string;
    try {
      response = await options.fetch(options.tokenUrl, {
        method: 'POST',
        headers: options.requestHeaders,
        body,
        // A redirect would re-send the credentials elsewhere; the endpoint must be configured exactly.
        redirect: 'manual',
        signal: stop === undefined ? controller.signal : AbortSignal.any([controller.signal, stop]),
      });
      text = await response.text();
    } catch (err) {
      return {
        ok: false,
        failure: describeNetworkError(err, controller.signal.aborted, timeoutMs),
      };
    }
    return classify(options, target, response, text, attempt);
  } finally {
    clearTimeout(timer);
  }
}

function classify(
  options: ResolvedOptions,
  target: TokenTarget,
  response: Response,
  text: string,
  attempt: number,
): AttemptOutcome {
  const { status } = response;
  const where = options.tokenUrlForMessages;
  if (status >= 200 && status < 300) {
    return { ok: true, token: parseTokenResponse(text, where, status, attempt) };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterSec = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { ok: false, failure: { reason: `HTTP ${status}`, status, retryAfterSec } };
  }
  if (status >= 300 && status < 400) {
    throw new TokenClientError(
      'ERR_TOKEN_REQUEST_REJECTED',
      `The token endpoint ${where} answered with a redirect (HTTP ${status}); set tokenUrl (AUTH_URL) to the token endpoint itself`,
      { status, attempts: attempt },
    );
  }

  const body = parseJson(text);
  const oauthError = typeof body?.['error'] === 'string' ? printable(body['error'], 64) : undefined;
  const description =
    typeof body?.['error_description'] === 'string'
      ? printable(body['error_description'], 300)
      : undefined;
  const code =
    (oauthError !== undefined && NOT_RETRIED[oauthError]) || 'ERR_TOKEN_REQUEST_REJECTED';
  const what = `${oauthError ?? `HTTP ${status}`}${description ? ` (${description})` : ''}`;
  throw new TokenClientError(
    code,
    `Token request to ${where} rejected: ${what}${hint(code, target, options)}`,
    { oauthError, oauthErrorDescription: description, status, attempts: attempt },
  );
}

function hint(code: TokenClientErrorCode, target: TokenTarget, options: ResolvedOptions): string {
  switch (code) {
    case 'ERR_INVALID_CLIENT':
      return options.assertion === undefined
        ? '; check clientId and clientSecret (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET)'
        : options.assertion.kind === 'file'
          ? '; check clientId (OAUTH_CLIENT_ID) and that the client is bound to this token'
          : '; check clientId (OAUTH_CLIENT_ID) and that the public key of the private key (OAUTH_CLIENT_KEY_PATH) is registered';
    case 'ERR_INVALID_SCOPE':
      return `; scope "${target.scope ?? ''}" is not allowed for this client`;
    case 'ERR_INVALID_TARGET':
      return `; audience "${target.audience ?? ''}" is not allowed for this client`;
    default:
      return '';
  }
}

function parseTokenResponse(
  text: string,
  where: string,
  status: number,
  attempts: number,
): TokenResponse {
  const body = parseJson(text);
  const invalid = (why: string): TokenClientError =>
    new TokenClientError(
      'ERR_INVALID_TOKEN_RESPONSE',
      `The token endpoint ${where} sent an invalid token response: ${why} (RFC 6749 §5.1)`,
      { status, attempts },
    );
  if (body === undefined) throw invalid('the body is not a JSON object');
  const accessToken = body['access_token'];
  if (typeof accessToken !== 'string' || !B64TOKEN.test(accessToken)) {
    throw invalid('access_token is missing or not a Bearer token (RFC 6750 §2.1)');
  }
  const tokenType = body['token_type'];
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw invalid('token_type is not "Bearer"');
  }
  const rawExpiresIn = body['expires_in'];
  let expiresInSec: number | undefined;
  if (rawExpiresIn !== undefined) {
    expiresInSec = typeof rawExpiresIn === 'string' ? Number(rawExpiresIn) : Number.NaN;
    if (typeof rawExpiresIn === 'number') expiresInSec = rawExpiresIn;
    if (!Number.isFinite(expiresInSec) || expiresInSec <= 0) {
      throw invalid('expires_in is not a positive number of seconds');
    }
  }
  return { accessToken, expiresInSec, jwtExpSec: readJwtExp(accessToken) };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps a server-sent string safe for a one-line message: printable ASCII, bounded length. */
function printable(value: string, max: number): string {
  const clean = value.replace(/[^\x20-\x7E]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function describeNetworkError(
  err: unknown,
  timedOut: boolean,
  timeoutMs: number,
): RetryableFailure {
  if (timedOut) return { reason: `no answer within ${timeoutMs} ms`, cause: err };
  const cause = err instanceof Error ? err.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused (ECONNREFUSED)'
      : `network error${code ? ` (${code})` : ''}`;
  return { reason, cause: err };
}
