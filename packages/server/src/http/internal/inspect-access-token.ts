import {
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { SIGNING_ALGS } from '../../keys/signing-key-pair.js';
import type { ServerContext } from './server-context.js';

/** Longest token inspected; the server's tokens are well under 2 KB. */
const MAX_TOKEN_LENGTH = 8192;

/** Key resolvers by key set, so a key set is imported once, not per request. */
const keyResolvers = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();

/** What {@link inspectAccessToken} found. */
export type InspectedToken =
  | { state: 'active'; claims: JWTPayload }
  | { state: 'revoked' | 'invalid'; claims?: JWTPayload };

/**
 * Decides whether a token is one of ours and still good: signed by a published key (next, active,
 * or retired but still published; never a revoked key), `typ: at+jwt`, `iss` this issuer, not
 * expired (no clock tolerance: this is the issuer's own clock), and neither its `jti` nor its
 * client in the revocation list. Anything else — malformed, foreign, wrongly signed, expired — is
 * `invalid`.
 *
 * @param verifyExpiry - false to accept an expired token (revocation needs its claims only).
 * @throws AuthServerError `ERR_STORE_UNAVAILABLE` when keys or revocations cannot be read.
 */
export async function inspectAccessToken(
  context: ServerContext,
  token: string,
  verifyExpiry = true,
): Promise<InspectedToken> {
  if (token.length > MAX_TOKEN_LENGTH) return { state: 'invalid' };
  const nowSec = Math.floor(Date.now() / 1000);
  const jwks = await context.cache.jwks(nowSec);
  let resolver = keyResolvers.get(jwks);
  if (resolver === undefined) {
    resolver = createLocalJWKSet(jwks);
    keyResolvers.set(jwks, resolver);
  }
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, resolver, {
      issuer: context.issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGS],
      requiredClaims: ['exp', 'client_id', 'jti'],
      // Revocation only needs to know whose token it is: an expired one may still be revoked.
      ...(verifyExpiry ? {} : { clockTolerance: 100 * 365 * 86_400 }),
    }));
  } catch {
    return { state: 'invalid' };
  }
  if (typeof claims.jti !== 'string' || typeof claims['client_id'] !== 'string') {
    return { state: 'invalid' };
  }
  const revocations = await context.cache.revocations(nowSec);
  const clientId = claims['client_id'];
  if (
    revocations.tokens.some((entry) => entry.jti === claims.jti) ||
    revocations.clients.some((entry) => entry.clientId === clientId)
  ) {
    return { state: 'revoked', claims };
  }
  return { state: 'active', claims };
}
