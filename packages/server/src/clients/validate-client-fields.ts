import { StoreError } from '../store/store-error.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../tokens/max-access-token-length.js';
import type { AccessTokenFormat } from '../tokens/token-types.js';
import {
  audienceSchema,
  clientNameSchema,
  MAX_CLIENT_SCOPES,
  MAX_CLIENT_SCOPES_LENGTH,
  MAX_TOKEN_TTL_SEC,
  MIN_TOKEN_TTL_SEC,
  scopeSchema,
  tokenFormatSchema,
  tokenTtlSecSchema,
} from './client-rules.js';

export { validateSeconds } from '../internal/validate-seconds.js';
export {
  DEFAULT_TOKEN_TTL_SEC,
  MAX_CLIENT_SCOPES,
  MAX_CLIENT_SCOPES_LENGTH,
  MAX_SECRET_GRACE_SEC,
  MAX_TOKEN_TTL_SEC,
} from './client-rules.js';

/**
 * Checks a client name: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, and not
 * shaped like a client_id (a UUID), so that `<id|name>` arguments are never ambiguous.
 *
 * @throws {StoreError} `ERR_INVALID_CLIENT_NAME`
 */
export function validateClientName(name: string): string {
  if (!clientNameSchema.safeParse(name).success) {
    throw new StoreError(
      'ERR_INVALID_CLIENT_NAME',
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
 * @throws {StoreError} `ERR_INVALID_SCOPE`, `ERR_SCOPES_TOO_LARGE`
 */
export function validateScopes(scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (scope === '*') {
      throw new StoreError(
        'ERR_INVALID_SCOPE',
        'scope "*" is reserved (a token request for "*" gets every allowed scope)',
      );
    }
    if (!scopeSchema.safeParse(scope).success) {
      throw new StoreError(
        'ERR_INVALID_SCOPE',
        `invalid scope ${JSON.stringify(scope)}: scope-tokens are 1-128 printable ASCII characters without spaces, '"' or '\\' (RFC 6749 §3.3)`,
      );
    }
  }
  const unique = [...new Set(scopes)];
  const problem = scopesTooLarge(unique);
  if (problem !== undefined) throw new StoreError('ERR_SCOPES_TOO_LARGE', problem);
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
 * @throws {StoreError} `ERR_INVALID_AUDIENCE`
 */
export function validateAudiences(audiences: readonly string[]): string[] {
  for (const audience of audiences) {
    if (!audienceSchema.safeParse(audience).success) {
      throw new StoreError(
        'ERR_INVALID_AUDIENCE',
        `invalid audience ${JSON.stringify(audience)}: use 1-255 printable ASCII characters without spaces or commas`,
      );
    }
  }
  return [...new Set(audiences)];
}

/**
 * Checks a client's access-token lifetime: whole seconds from 1 to `MAX_TOKEN_TTL_SEC` (one day).
 *
 * @throws {StoreError} `ERR_INVALID_DURATION`
 */
export function validateTokenTtl(value: number): number {
  if (!tokenTtlSecSchema.safeParse(value).success || !Number.isSafeInteger(value)) {
    throw new StoreError(
      'ERR_INVALID_DURATION',
      `token TTL must be a whole number of seconds from ${MIN_TOKEN_TTL_SEC} to ${MAX_TOKEN_TTL_SEC}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Checks a token format name (see AccessTokenFormat).
 *
 * @throws {StoreError} `ERR_INVALID_TOKEN_FORMAT`
 */
export function validateTokenFormat(format: string): AccessTokenFormat {
  const parsed = tokenFormatSchema.safeParse(format);
  if (!parsed.success) {
    throw new StoreError(
      'ERR_INVALID_TOKEN_FORMAT',
      `invalid token format ${JSON.stringify(format)}: use rfc9068 or passport`,
    );
  }
  return parsed.data;
}
