import { AuthServerError } from '../../errors/auth-server-error.js';

/**
 * Decides the token's single audience from `audience` and `resource` (RFC 8707 §2) and the
 * client's allowed audiences:
 * - both given: they must be equal (two different targets in one token defeats audience checks);
 * - one given: it must be allowed;
 * - none given: the client's only allowed audience, when it has exactly one.
 *
 * `resource` is compared as an opaque string with the registered audiences, so a service
 * registered as `https://doctor.internal` can be asked for by URI and one registered as
 * `ms_doctor` by name.
 *
 * @throws AuthServerError `ERR_AUDIENCE_AMBIGUOUS`, `ERR_AUDIENCE_NOT_ALLOWED`,
 *   `ERR_AUDIENCE_MISSING`.
 */
export function resolveAudience(
  audience: string | undefined,
  resource: string | undefined,
  allowed: readonly string[],
): string {
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new AuthServerError('ERR_AUDIENCE_AMBIGUOUS');
  }
  const requested = audience ?? resource;
  if (requested === undefined) {
    if (allowed.length === 1) return allowed[0]!;
    throw new AuthServerError('ERR_AUDIENCE_MISSING', {
      cause: `client allows ${allowed.length} audiences`,
    });
  }
  if (!allowed.includes(requested)) {
    throw new AuthServerError('ERR_AUDIENCE_NOT_ALLOWED', { cause: `audience ${requested}` });
  }
  return requested;
}
