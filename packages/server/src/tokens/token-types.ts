import type { KeyObject } from 'node:crypto';
import type { CryptoKey } from 'jose';

/** Types of access tokens: how they are signed and shaped. Times are Unix seconds. */

/** JWS algorithms the authorization server signs access tokens with (RFC 7518 §3.1, RFC 8037). */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

/**
 * The shape of the access tokens a client gets:
 * - `rfc9068`: RFC 9068 JWT access tokens (`typ: at+jwt`, `aud` = the receiving service).
 * - `passport`: for clients adopted from Laravel Passport while receivers move: header
 *   `typ: JWT`, Passport's claims (`aud` = the calling client's id, `jti`, `iat`, `nbf`, `exp`,
 *   `sub`, `scopes` array) next to RFC 9068's `iss`, `client_id` and `scope`. Such a token names
 *   no receiving service, as Passport's never did: switch the client to `rfc9068` once its
 *   receivers verify with `@m2m-auth/verifier` (or check `aud`).
 */
export type AccessTokenFormat = 'rfc9068' | 'passport';

/**
 * A private signing key imported once (see `importSigningKey` in keys/) and kept for the life of
 * the server, so the token endpoint never parses PEM per request.
 */
export interface AccessTokenSigningKey {
  /** Key ID written into the JWS header (RFC 7515 §4.1.4). */
  readonly kid: string;
  /** JWS algorithm (RFC 7518 §3.1; RFC 8037 for EdDSA). */
  readonly alg: SigningAlg;
  /**
   * The private key: a node:crypto `KeyObject`, or a `CryptoKey` as jose's `importPKCS8` (and
   * `importSigningKey`) returns it. Signatures are made with node:crypto's synchronous `sign` on
   * the key's `KeyObject`; its type must fit `alg` (RSA, P-256 EC, Ed25519).
   */
  readonly key: KeyObject | CryptoKey;
}
