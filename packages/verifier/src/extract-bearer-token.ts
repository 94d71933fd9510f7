import { VerifierError } from './errors.js';

/** Default cap on a token's length, characters; m2m-auth and Passport tokens are under 1,500. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 9110 §5.6.2: token = 1*tchar
const AUTH_SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The bearer token of an `Authorization` request header (RFC 6750 §2.1), or a typed error:
 * no header or another scheme → 401 without an error code (RFC 6750 §3.1); a malformed header,
 * several headers or several tokens → 400 `invalid_request`; a token longer than
 * `maxTokenLength` → 401 `invalid_token`, refused before it is looked at. The scheme is
 * case-insensitive (RFC 9110 §11.1).
 *
 * @param authorization - the header value; an array when the header was sent several times
 *   (see `readAuthorizationHeader`), `undefined` when absent.
 * @param maxTokenLength - longest token accepted, characters; default 8192.
 * @returns the token (not yet verified).
 * @throws VerifierError `ERR_TOKEN_MISSING`, `ERR_AUTH_SCHEME_UNSUPPORTED`,
 *   `ERR_REQUEST_MALFORMED`, `ERR_TOKEN_TOO_LARGE`.
 * @example
 * ```ts
 * extractBearerToken('Bearer eyJhbGciOi...'); // 'eyJhbGciOi...'
 * ```
 */
export function extractBearerToken(
  authorization: string | readonly string[] | undefined,
  maxTokenLength: number = DEFAULT_MAX_TOKEN_LENGTH,
): string {
  let value: string | undefined;
  if (typeof authorization === 'string' || authorization === undefined) {
    value = authorization;
  } else if (authorization.length > 1) {
    throw new VerifierError('ERR_REQUEST_MALFORMED', 'several Authorization headers');
  } else {
    value = authorization[0];
  }
  if (value === undefined) {
    throw new VerifierError('ERR_TOKEN_MISSING', 'no Authorization header');
  }
  // Trimmed only when it starts or ends with a space or tab: no scan of the whole value otherwise.
  if (isSpaceOrTab(value.charCodeAt(0)) || isSpaceOrTab(value.charCodeAt(value.length - 1))) {
    value = value.replace(/^[ \t]+|[ \t]+$/g, '');
  }
  if (value === '') throw new VerifierError('ERR_TOKEN_MISSING', 'empty Authorization header');
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    if (AUTH_SCHEME.test(scheme)) {
      throw new VerifierError(
        'ERR_AUTH_SCHEME_UNSUPPORTED',
        'Authorization header does not use the Bearer scheme',
      );
    }
    throw new VerifierError('ERR_REQUEST_MALFORMED', 'malformed Authorization header');
  }
  if (space === -1) {
    throw new VerifierError('ERR_REQUEST_MALFORMED', 'Bearer scheme without a token');
  }
  let start = space + 1;
  while (value.charCodeAt(start) === 0x20) start++;
  if (value.length - start > maxTokenLength) {
    throw new VerifierError('ERR_TOKEN_TOO_LARGE', 'token is longer than the allowed maximum');
  }
  const token = value.slice(start);
  // A b64token has no space, tab or comma: one scan when it is well formed, a second one only to
  // say what is wrong with it.
  if (B64TOKEN.test(token)) return token;
  if (/[ \t,]/.test(token)) {
    throw new VerifierError(
      'ERR_REQUEST_MALFORMED',
      'more than one token in the Authorization header',
    );
  }
  throw new VerifierError('ERR_REQUEST_MALFORMED', 'Bearer token has characters outside b64token');
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * The token of a plain `Bearer <token>` header without any check, or `undefined` for anything
 * else (which then goes through {@link extractBearerToken}). For the cache-hit path only: a token
 * found in the verified-token cache was fully checked when it was verified.
 */
export function peekBearerToken(authorization: string): string | undefined {
  if (authorization.length < 8 || authorization.charCodeAt(6) !== 0x20) return undefined;
  const c0 = authorization.charCodeAt(0) | 0x20;
  // "bearer", compared case-insensitively by setting the ASCII lower-case bit.
  if (
    c0 !== 0x62 ||
    (authorization.charCodeAt(1) | 0x20) !== 0x65 ||
    (authorization.charCodeAt(2) | 0x20) !== 0x61 ||
    (authorization.charCodeAt(3) | 0x20) !== 0x72 ||
    (authorization.charCodeAt(4) | 0x20) !== 0x65 ||
    (authorization.charCodeAt(5) | 0x20) !== 0x72
  ) {
    return undefined;
  }
  // No scan for spaces or length: the caller only compares the result with tokens that passed
  // every check, so anything malformed is simply not found.
  return authorization.slice(7);
}
