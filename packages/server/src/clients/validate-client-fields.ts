import { StoreError } from '../store/store-error.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../tokens/max-access-token-length.js';
import type { AccessTokenFormat } from '../tokens/token-types.js';

export { validateSeconds } from '../internal/validate-seconds.js';
export { DEFAULT_TOKEN_TTL_SEC, MAX_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';
/** Longest grace period for an old secret after rotation, seconds (30 days). */
export const MAX_SECRET_GRACE_SEC = 30 * 86_400;

/**
 * Most scopes a client may have. With {@link MAX_CLIENT_SCOPES_LENGTH} it keeps the `scope` claim
 * small enough that a token carrying all of them fits `MAX_ACCESS_TOKEN_LENGTH` (8192 characters,
 * what `@m2m-auth/verifier` accepts by default) with room for the other claims: a 255-character
 * audience, an issuer of well over 1000 characters and an RSA signature of up to 16384 bits.
 */
export const MAX_CLIENT_SCOPES = 128;
/** Longest `scope` claim a client's scopes may make (space-separated), characters. */
export const MAX_CLIENT_SCOPES_LENGTH = 2048;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// Audiences name resource servers (RFC 8707 resource, or a service name such as ms_doctor):
// printable ASCII without spaces; commas are excluded because the CLI separates lists with them.
const AUDIENCE = /^[\x21-\x2B\x2D-\x7E]+$/;

/**
 * Checks a client name: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, and not
 * shaped like a client_id (a UUID), so that `<id|name>` arguments are never ambiguous.
 *
 * @throws {StoreError} `INVALID_CLIENT_NAME`
 */
export function validateClientName(name: string): string {
  if (!NAME.test(name) || UUID.test(name)) {
    throw new StoreError(
      'INVALID_CLIENT_NAME',
      `invalid client name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-" (not a UUID)`,
    );
  }
  return name;
}

/**
 * Checks scope-tokens (RFC 6749 §3.3) and removes duplicates, keeping order. `*` is reserved: in
 * a token request it means "every scope this client is allowed". At most
 * {@link MAX_CLIENT_SCOPES} scopes of at most {@link MAX_CLIENT_SCOPES_LENGTH} characters in all
 * (space-separated, as in the token's `scope` claim), so a token carrying them all can be verified.
 *
 * @throws {StoreError} `INVALID_SCOPE`, `SCOPES_TOO_LARGE`
 */
export function validateScopes(scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope) || scope.length > 128) {
      throw new StoreError(
        'INVALID_SCOPE',
        `invalid scope ${JSON.stringify(scope)}: scope-tokens are 1-128 printable ASCII characters without spaces, '"' or '\\' (RFC 6749 §3.3)`,
      );
    }
    if (scope === '*') {
      throw new StoreError(
        'INVALID_SCOPE',
        'scope "*" is reserved (a token request for "*" gets every allowed scope)',
      );
    }
  }
  const unique = [...new Set(scopes)];
  const problem = scopesTooLarge(unique);
  if (problem !== undefined) throw new StoreError('SCOPES_TOO_LARGE', problem);
  return unique;
}

/**
 * Why a client may not have these (distinct, valid) scopes all together, or undefined when it
 * may: more than {@link MAX_CLIENT_SCOPES}, or longer than {@link MAX_CLIENT_SCOPES_LENGTH}
 * characters space-separated. Shared by the store and the manifest check.
 */
export function scopesTooLarge(scopes: readonly string[]): string | undefined {
  const length =
    scopes.reduce((sum, scope) => sum + scope.length, 0) + Math.max(0, scopes.length - 1);
  if (scopes.length <= MAX_CLIENT_SCOPES && length <= MAX_CLIENT_SCOPES_LENGTH) return undefined;
  return `${scopes.length} scopes of ${length} characters (space-separated) are too many for one client: at most ${MAX_CLIENT_SCOPES} scopes and ${MAX_CLIENT_SCOPES_LENGTH} characters, so that a token carrying them all stays within the ${MAX_ACCESS_TOKEN_LENGTH} characters verifiers accept; split the client or use broader scopes`;
}

/**
 * Checks audiences (the resource servers a client may get tokens for, RFC 8707) and removes
 * duplicates, keeping order.
 *
 * @throws {StoreError} `INVALID_AUDIENCE`
 */
export function validateAudiences(audiences: readonly string[]): string[] {
  for (const audience of audiences) {
    if (!AUDIENCE.test(audience) || audience.length > 255) {
      throw new StoreError(
        'INVALID_AUDIENCE',
        `invalid audience ${JSON.stringify(audience)}: use 1-255 printable ASCII characters without spaces or commas`,
      );
    }
  }
  return [...new Set(audiences)];
}

/**
 * Checks a token format name (see AccessTokenFormat).
 *
 * @throws {StoreError} `INVALID_TOKEN_FORMAT`
 */
export function validateTokenFormat(format: string): AccessTokenFormat {
  if (format !== 'rfc9068' && format !== 'passport') {
    throw new StoreError(
      'INVALID_TOKEN_FORMAT',
      `invalid token format ${JSON.stringify(format)}: use rfc9068 or passport`,
    );
  }
  return format;
}
