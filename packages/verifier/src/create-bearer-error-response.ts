import { getVerifierErrorInfo, type VerifierError } from './errors.js';
import { isScopeToken } from './is-scope-token.js';

/** An HTTP answer to a failed verification, ready for any framework. */
export interface BearerErrorResponse {
  /** 400, 401, 403 or 503. */
  readonly status: number;
  /** Lower-case header names: `www-authenticate` (except for 503), `cache-control`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body. */
  readonly body: { readonly error: string; readonly error_description: string };
}

/** Options of {@link createBearerErrorResponse}. */
export interface BearerErrorResponseOptions {
  /** `realm` of the challenge (RFC 6750 §3); omitted when undefined. */
  realm?: string | undefined;
}

/**
 * The HTTP response for a verification failure, per RFC 6750 §3: `WWW-Authenticate: Bearer`
 * with `realm`, `error` and `error_description` (no `error` when the request had no token,
 * §3.1), `scope` with the required scopes for `insufficient_scope` (403), and a JSON body
 * `{ error, error_description }`. An unreachable key source answers 503 without a challenge: the
 * token may be fine. Attribute values are quoted-strings with `"` and `\` escaped; `realm` and
 * `error_description` are also reduced to the characters RFC 6750 §3 allows, so no header
 * injection or broken challenge can come out of here.
 *
 * @param error - the failure.
 * @param options - `realm`.
 * @returns status, headers and body.
 * @example
 * ```ts
 * const { status, headers, body } = createBearerErrorResponse(err, { realm: 'ms_doctor' });
 * res.writeHead(status, { ...headers, 'content-type': 'application/json' });
 * res.end(JSON.stringify(body));
 * ```
 */
export function createBearerErrorResponse(
  error: VerifierError,
  options: BearerErrorResponseOptions = {},
): BearerErrorResponse {
  const info = getVerifierErrorInfo(error.code);
  const description = toDescription(error.message);
  const body = { error: info.bodyError, error_description: description };
  if (info.status === 503) {
    return { status: info.status, headers: { 'cache-control': 'no-store' }, body };
  }
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quote(toPrintable(options.realm))}`);
  if (info.bearerError !== undefined) {
    params.push(`error=${quote(info.bearerError)}`);
    params.push(`error_description=${quote(description)}`);
    if (info.bearerError === 'insufficient_scope' && error.requiredScopes !== undefined) {
      params.push(`scope=${quote(error.requiredScopes.filter(isScopeToken).join(' '))}`);
    }
  }
  const challenge = params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
  return {
    status: info.status,
    headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' },
    body,
  };
}

/** RFC 9110 §5.6.4 quoted-string, escaping `"` and `\`. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Printable ASCII only: no CR/LF (header injection), no control or non-ASCII characters. */
function toPrintable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '');
}

/** RFC 6750 §3: error_description is `%x20-21 / %x23-5B / %x5D-7E` (no `"` or `\`). */
function toDescription(message: string): string {
  return message.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
