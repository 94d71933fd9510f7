import type { FastifyInstance } from 'fastify';
import { hashClientSecret } from '../../clients/hash-client-secret.js';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import {
  type ClientCredentialsGrantContext,
  grantClientCredentials,
} from '../../grants/client-credentials-grant.js';
import type { ClientCredentials } from '../../store/types.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the token endpoint (RFC 6749 §3.2). */
export const TOKEN_PATH = '/oauth/token';

/**
 * A hash no presented secret can match (its preimage is thrown away), compared against when the
 * client_id is unknown so that an unknown client costs the same work as a wrong secret.
 */
const DECOY_HASHES = [hashClientSecret(crypto.randomUUID() + crypto.randomUUID())];

/** Registers `POST /oauth/token` (client_credentials, RFC 6749 §4.4) and a 405 for other methods. */
export function registerTokenRoute(app: FastifyInstance, context: ServerContext): void {
  const { cache } = context;
  const grantContext: ClientCredentialsGrantContext = {
    get issuer() {
      return context.issuer;
    },
    findClient: (clientId) => cache.findClient(clientId),
    verifySecret: (credentials: ClientCredentials | undefined, secret, nowSec) =>
      verifyClientSecret(secret, credentials?.secrets ?? DECOY_HASHES, nowSec),
    signingKey: (nowSec) => cache.signingKey(nowSec),
  };

  app.post(TOKEN_PATH, async (request, reply) => {
    // RFC 6749 §5.1: token responses must not be cached; set first so error replies carry it too.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const fresh = cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const result = await grantClientCredentials(
      {
        params: (request.body as Record<string, unknown> | undefined) ?? {},
        authorization: request.headers.authorization,
      },
      grantContext,
    );
    return result.body;
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: TOKEN_PATH,
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AuthServerError('ERR_METHOD_NOT_ALLOWED');
    },
  });
}
