import type { ClientRecord } from '../../clients/client-store.js';
import { hashClientSecret } from '../../clients/hash-client-secret.js';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { extractClientCredentials } from '../../grants/internal/extract-client-credentials.js';
import type { ServerContext } from './server-context.js';

/** A hash no presented secret can match, compared against for unknown clients (same work). */
const DECOY_HASHES = [hashClientSecret(crypto.randomUUID() + crypto.randomUUID())];
const MAX_CLIENT_ID_LENGTH = 255;

/**
 * Authenticates the client calling an endpoint other than the token endpoint (introspection,
 * revocation) with a client secret as the token endpoint does (RFC 6749 §2.3.1: Basic or body
 * credentials; client assertions are refused here),
 * under the same failure limits: refused with 429 before any lookup once a limit is reached, and
 * every outcome counted.
 *
 * @returns the authenticated, non-revoked client.
 * @throws AuthServerError `ERR_CLIENT_AUTH_MULTIPLE_METHODS`, `ERR_CLIENT_AUTH_MISSING`,
 *   `ERR_CLIENT_AUTH_MALFORMED`, `ERR_CLIENT_AUTH_METHOD_UNSUPPORTED`, `ERR_CLIENT_AUTH_FAILED`,
 *   `ERR_CLIENT_AUTH_RATE_LIMITED`, `ERR_STORE_UNAVAILABLE`.
 */
export async function authenticateClient(
  context: ServerContext,
  params: Record<string, unknown>,
  authorization: string | undefined,
  sourceAddress: string,
): Promise<ClientRecord> {
  const presented = extractClientCredentials(params, authorization);
  const limiter = context.authFailureLimiter;
  const refusal = limiter?.check(presented.clientId, sourceAddress, Date.now());
  if (refusal !== undefined) {
    throw new AuthServerError('ERR_CLIENT_AUTH_RATE_LIMITED', {
      cause: `failure limit per ${refusal.scope.replaceAll('_', ' ')}`,
      retryAfterSec: refusal.retryAfterSec,
    });
  }
  const fresh = context.cache.ensureFresh();
  if (fresh !== undefined) await fresh;
  const credentials =
    presented.clientId.length > MAX_CLIENT_ID_LENGTH
      ? undefined
      : await context.cache.findClient(presented.clientId);
  const nowSec = Math.floor(Date.now() / 1000);
  // These endpoints take client secrets only: an assertion (private_key_jwt) is refused like a
  // wrong secret, after the same decoy comparison.
  const secret = presented.method === 'private_key_jwt' ? '' : presented.clientSecret;
  const secretOk =
    verifyClientSecret(secret, credentials?.secrets ?? DECOY_HASHES, nowSec) &&
    presented.method !== 'private_key_jwt';
  const ok = credentials !== undefined && secretOk && credentials.client.revokedAt === null;
  if (ok) limiter?.recordSuccess(presented.clientId, sourceAddress, Date.now());
  else limiter?.recordFailure(presented.clientId, sourceAddress, Date.now());
  if (!ok || credentials === undefined) {
    throw new AuthServerError('ERR_CLIENT_AUTH_FAILED', {
      cause:
        credentials === undefined
          ? 'unknown client_id'
          : credentials.client.revokedAt !== null
            ? 'client revoked'
            : 'secret mismatch',
    });
  }
  return credentials.client;
}
