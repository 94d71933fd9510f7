import { randomUUID } from 'node:crypto';
import { prepareSigner } from './internal/prepare-signer.js';
import type { AccessTokenFormat, AccessTokenSigningKey } from './token-types.js';

export type { AccessTokenSigningKey };

/**
 * Largest `exp`/`iat` written: 9999-12-31T23:59:59Z, the bound `@m2m-auth/verifier` accepts for a
 * NumericDate (RFC 7519 §2), so the server never mints a token its own verifier calls malformed.
 */
export const MAX_NUMERIC_DATE_SEC = 253_402_300_799;

/** What an access token is about. */
export interface AccessTokenGrant {
  /** Issuer identifier (RFC 8414 §2), written as `iss`. */
  issuer: string;
  /** The calling client; written as `sub` and `client_id` (RFC 9068 §2.2). */
  clientId: string;
  /** The receiving service (resource server), written as `aud`; never the caller. */
  audience: string;
  /** Granted scopes, written space-delimited as `scope` (RFC 9068 §2.2.3). May be empty. */
  scopes: readonly string[];
  /** Lifetime in seconds; `exp = iat + expiresInSec`. */
  expiresInSec: number;
  /** Issue time in Unix seconds (a non-negative integer); default: now. */
  nowSec?: number;
  /**
   * `rfc9068` (default), or `passport`: header `typ: JWT` and Laravel Passport's claims (`aud` =
   * the client, `nbf`, `scopes` array) next to `iss`, `client_id` and `scope`, so receivers that
   * still verify Passport tokens accept it. `audience` is then not written (see AccessTokenFormat).
   */
  format?: AccessTokenFormat;
}

/** A signed access token and the facts an audit line needs. */
export interface IssuedAccessToken {
  /** The compact JWS. A bearer credential: never log it. */
  accessToken: string;
  /** The token's unique `jti`. */
  jti: string;
  /** `iat`, Unix seconds. */
  issuedAt: number;
  /** `exp`, Unix seconds. */
  expiresAt: number;
  /** The `scope` claim (space-delimited, possibly empty). */
  scope: string;
}

/**
 * Signs a JWT access token per RFC 9068: header `typ: at+jwt`, `alg`, `kid`; claims `iss`, `sub`,
 * `client_id`, `aud`, `scope`, `iat`, `exp`, `jti`. No `nbf`: a receiver whose clock runs a second
 * behind would otherwise reject a fresh token. Writes nothing anywhere.
 *
 * Signed with node:crypto's synchronous `sign` (RS256: RSASSA-PKCS1-v1_5 SHA-256; ES256: R‖S, 64
 * bytes, RFC 7518 §3.4; EdDSA: Ed25519, RFC 8037), which jose's `jwtVerify` accepts (tested); the
 * encoded header is computed once per key object and reused.
 *
 * @param signingKey - kid, alg and a private key imported once (keys/import-signing-key.ts). Keep
 *   the same object for the life of the key: what is derived from it is cached by its identity.
 * @param grant - who gets a token for which audience and scopes, for how many seconds.
 * @returns the token with its `jti`, `iat` and `exp`.
 * @throws TypeError when `expiresInSec` is not a positive integer, `nowSec` not a non-negative
 *   integer, `exp` would be beyond {@link MAX_NUMERIC_DATE_SEC}, or the key does not fit `alg`.
 *
 * @example
 * ```ts
 * const { accessToken } = await issueAccessToken(signingKey, {
 *   issuer: 'http://127.0.0.1:8080',
 *   clientId: 'c_123',
 *   audience: 'ms_doctor',
 *   scopes: ['doctors:read'],
 *   expiresInSec: 900,
 * });
 * ```
 */
export async function issueAccessToken(
  signingKey: AccessTokenSigningKey,
  grant: AccessTokenGrant,
): Promise<IssuedAccessToken> {
  return signAccessToken(signingKey, grant);
}

/**
 * {@link issueAccessToken} without the promise: the token endpoint calls it directly, since
 * node:crypto signs synchronously (one microtask less per token). Same arguments, result and
 * errors (thrown, not rejected).
 */
export function signAccessToken(
  signingKey: AccessTokenSigningKey,
  grant: AccessTokenGrant,
): IssuedAccessToken {
  const { expiresInSec } = grant;
  if (!Number.isSafeInteger(expiresInSec) || expiresInSec <= 0) {
    throw new TypeError('expiresInSec must be a positive integer number of seconds');
  }
  const issuedAt = grant.nowSec ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    throw new TypeError('nowSec must be a non-negative integer number of seconds');
  }
  const expiresAt = issuedAt + expiresInSec;
  if (expiresAt > MAX_NUMERIC_DATE_SEC) {
    throw new TypeError(
      `exp would be beyond ${MAX_NUMERIC_DATE_SEC} (year 9999), which verifiers refuse as malformed`,
    );
  }
  // randomUUID: 122 random bits from the CSPRNG, cheap (batched entropy), unique per token.
  const jti = randomUUID();
  const scope = grant.scopes.join(' ');
  const signer = prepareSigner(signingKey);
  if (grant.format === 'passport') {
    // Passport's claims first, in league/oauth2-server's order, then what RFC 9068 receivers read.
    const passportClaims = JSON.stringify({
      aud: grant.clientId,
      jti,
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresAt,
      sub: grant.clientId,
      scopes: grant.scopes,
      iss: grant.issuer,
      client_id: grant.clientId,
      scope,
    });
    const accessToken = signer.sign(passportClaims, 'JWT');
    return { accessToken, jti, issuedAt, expiresAt, scope };
  }
  // Serialized directly: every claim is built here with its type fixed, so a claims builder that
  // re-validates them (jose's SignJWT: about 15 µs per token) buys nothing.
  const claims = JSON.stringify({
    iss: grant.issuer,
    sub: grant.clientId,
    aud: grant.audience,
    exp: expiresAt,
    iat: issuedAt,
    jti,
    client_id: grant.clientId,
    scope,
  });
  const accessToken = signer.sign(claims);
  return { accessToken, jti, issuedAt, expiresAt, scope };
}
