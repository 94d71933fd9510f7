import type { FastifyInstance } from 'fastify';
import { hashClientSecret } from '../../clients/hash-client-secret.js';
import { verifyClientSecret } from '../../clients/verify-client-secret.js';
import { AuthServerError } from '../../errors/auth-server-error.js';
import {
  type ClientCredentialsGrantContext,
  grantClientCredentials,
  type TokenRequestFacts,
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

/**
 * client_ids are UUIDs; a longer one cannot be registered, so it is not looked up (nor cached:
 * the client cache would otherwise hold whatever megabytes of ids an attacker sends).
 */
const MAX_CLIENT_ID_LENGTH = 255;
const NO_CLIENT: Promise<ClientCredentials | undefined> = Promise.resolve(undefined);

/**
 * Registers `POST /oauth/token` (client_credentials, RFC 6749 §4.4) and a 405 for other methods.
 * Each request is an audit event (issued here; refusals in buildServer's error handler, which also
 * sees body parsing failures); failed client authentications feed the limiter, which refuses
 * with 429 before any lookup once a limit is reached.
 */
export function registerTokenRoute(app: FastifyInstance, context: ServerContext): void {
  const { cache, authFailureLimiter: limiter } = context;
  const grantContext: ClientCredentialsGrantContext = {
    get issuer() {
      return context.issuer;
    },
    findClient: (clientId) =>
      clientId.length > MAX_CLIENT_ID_LENGTH ? NO_CLIENT : cache.findClient(clientId),
    // Every request compares its secret with the stored hashes (one SHA-256, a microsecond; see
    // clients/hash-client-secret.ts for why that is enough): no cache of *verified* secrets
    // exists that could outlive a revocation or rotation. The hashes are cached per store
    // revision, which every rotation and revocation moves, and a grace period's end is checked
    // here, on every comparison.
    verifySecret: (credentials: ClientCredentials | undefined, secret, nowSec) =>
      verifyClientSecret(secret, credentials?.secrets ?? DECOY_HASHES, nowSec),
    signingKey: (nowSec) => cache.signingKey(nowSec),
  };
  if (limiter !== undefined) {
    grantContext.admitClient = (clientId, request) => {
      const refusal = limiter.check(clientId, request.sourceAddress ?? '', Date.now());
      if (refusal !== undefined) {
        context.metrics?.limiterBlocked(refusal.scope);
        throw new AuthServerError('ERR_CLIENT_AUTH_RATE_LIMITED', {
          cause: `failure limit per ${refusal.scope.replaceAll('_', ' ')}`,
          retryAfterSec: refusal.retryAfterSec,
        });
      }
    };
    grantContext.clientAuthenticated = (clientId, ok, request) => {
      const address = request.sourceAddress ?? '';
      if (ok) limiter.recordSuccess(clientId, address, Date.now());
      else limiter.recordFailure(clientId, address, Date.now());
    };
  }

  app.post(TOKEN_PATH, async (request, reply) => {
    // RFC 6749 §5.1: token responses must not be cached; set first so error replies carry it too.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const facts: TokenRequestFacts = {};
    context.tokenRequestFacts.set(request, facts);
    const fresh = cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const result = await grantClientCredentials(
      {
        params: (request.body as Record<string, unknown> | undefined) ?? {},
        authorization: request.headers.authorization,
        sourceAddress: request.ip,
        facts,
      },
      grantContext,
    );
    context.audit.issued(request, result);
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
