/**
 * Largest NumericDate read: 9999-12-31T23:59:59Z in seconds, the bound the verifier accepts. A
 * larger or negative `exp` (or a non-number) is not a lifetime the client relies on.
 */
export const MAX_NUMERIC_DATE_SEC = 253_402_300_799;

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * The `exp` claim (RFC 7519 §4.1.4) of an access token that is a JWS compact serialization, read
 * without verifying anything: the client only uses it to stop serving the token once it has
 * expired (RFC 6749 §5.1 lets a server state the lifetime "by other means" than `expires_in`).
 * Access tokens are otherwise opaque to the client, so anything that is not a JWT with an `exp`
 * NumericDate from 0 to {@link MAX_NUMERIC_DATE_SEC} gives `undefined`.
 *
 * @param accessToken - the `access_token` of a token response.
 * @returns `exp` in Unix seconds (possibly with a fraction), or `undefined`.
 */
export function readJwtExp(accessToken: string): number | undefined {
  const parts = accessToken.split('.');
  if (parts.length !== 3) return undefined;
  const payload = parts[1] as string;
  if (!SEGMENT.test(payload)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const exp = (claims as { exp?: unknown }).exp;
  return typeof exp === 'number' && exp >= 0 && exp <= MAX_NUMERIC_DATE_SEC ? exp : undefined;
}
