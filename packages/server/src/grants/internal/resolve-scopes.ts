import { AuthServerError } from '../../errors/auth-server-error.js';

/**
 * Decides the granted scopes (RFC 6749 §3.3) from the requested `scope` and the client's allowed
 * scopes:
 * - absent (or empty): every allowed scope. RFC 6749 §3.3 lets the server pick a default; a
 *   service calling another wants what it was registered for, and can ask for less.
 * - `*` (Laravel Passport's wildcard): every allowed scope; other listed scopes must still be allowed.
 * - otherwise: each space-delimited scope must be allowed; duplicates are dropped, order is kept.
 *
 * @throws AuthServerError `ERR_SCOPE_NOT_ALLOWED` when a requested scope is not allowed.
 */
export function resolveScopes(
  requested: string | undefined,
  allowed: readonly string[],
): readonly string[] {
  if (requested === undefined) return allowed;
  const granted: string[] = [];
  let wildcard = false;
  for (const scope of requested.split(' ')) {
    if (scope === '') continue;
    if (scope === '*') {
      wildcard = true;
      continue;
    }
    if (!allowed.includes(scope)) {
      throw new AuthServerError('ERR_SCOPE_NOT_ALLOWED', { cause: `scope ${scope}` });
    }
    if (!granted.includes(scope)) granted.push(scope);
  }
  if (wildcard) return allowed;
  if (granted.length === 0) return allowed;
  return granted;
}
