import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import {
  type AuthenticatedClient,
  authenticateClient,
  type ClientAuthenticationContext,
  readClientCredentials,
} from '../../grants/authenticate-client.js';
import type { TokenRequest, TokenRequestFacts } from '../../grants/client-credentials-grant.js';
import { createTokenGrantContext } from '../routes/token-route.js';
import type { ServerContext } from './server-context.js';

/**
 * The client authentication of the token endpoint, for the other endpoints a client calls
 * (introspection, RFC 7662 §2.1; revocation, RFC 7009 §2.1): the same grant context, so the same
 * methods (client_secret_basic, client_secret_post, private_key_jwt with the token endpoint's
 * audience rules and single-use jtis, trusted issuers), legacy Passport hashes and failure limits.
 */
export function createClientAuthentication(
  context: ServerContext,
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
): ClientAuthenticationContext {
  return createTokenGrantContext(context, verifyClientSecret, {
    counts: context.legacySecretVerifications,
    log,
  });
}

/**
 * Authenticates the client of an introspection or revocation request, as the token endpoint does:
 * several `Authorization` headers are refused, the store view is brought up to date, the
 * credentials are read (control characters refused and counted) and checked under the failure
 * limits. `facts` learns the presented client_id and method, for the audit of a refusal.
 *
 * @returns the authenticated, non-revoked client and its method.
 * @throws AuthServerError `ERR_CLIENT_AUTH_MULTIPLE_METHODS`, `ERR_CLIENT_AUTH_MISSING`,
 *   `ERR_CLIENT_AUTH_MALFORMED`, `ERR_CLIENT_AUTH_CONTROL_CHARACTERS`,
 *   `ERR_CLIENT_AUTH_METHOD_UNSUPPORTED`, `ERR_CLIENT_AUTH_FAILED`, `ERR_CLIENT_AUTH_RATE_LIMITED`,
 *   `ERR_STORE_UNAVAILABLE`.
 */
export async function authenticateEndpointClient(
  request: FastifyRequest,
  params: Record<string, unknown>,
  context: ServerContext,
  authentication: ClientAuthenticationContext,
  facts: TokenRequestFacts,
): Promise<AuthenticatedClient> {
  if (countAuthorizationHeaders(request.raw.rawHeaders) > 1) {
    // Node keeps only the first of several Authorization headers: refuse rather than pick one.
    throw new AuthServerError('ERR_CLIENT_AUTH_MULTIPLE_METHODS', {
      cause: 'several Authorization headers',
    });
  }
  const fresh = context.cache.ensureFresh();
  if (fresh !== undefined) await fresh;
  const tokenRequest: TokenRequest = {
    params,
    authorization: request.headers.authorization,
    sourceAddress: request.ip,
    facts,
  };
  const presented = readClientCredentials(tokenRequest, authentication);
  facts.clientId = presented.clientId;
  facts.authMethod = presented.method;
  return authenticateClient(presented, tokenRequest, authentication);
}

/** How many `Authorization` header lines a request carried (names at even indexes). */
function countAuthorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'authorization') count++;
  }
  return count;
}
