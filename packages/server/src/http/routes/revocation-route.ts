import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { checkParameters } from '../../grants/internal/check-parameters.js';
import { readParam } from '../../grants/internal/read-param.js';
import { authenticateClient } from '../internal/authenticate-client.js';
import { inspectAccessToken } from '../internal/inspect-access-token.js';
import type { ServerContext } from '../internal/server-context.js';
import { registerPostOnly } from './introspection-route.js';

/** Path of the token revocation endpoint (RFC 7009 §2). */
export const REVOCATION_PATH = '/oauth/revoke';

/**
 * Registers `POST /oauth/revoke` (RFC 7009): a client revokes a token issued to itself. The
 * caller authenticates like at the token endpoint (same failure limits). A valid token of this
 * issuer issued to the caller — expired or not — is recorded as revoked (its `jti`, kept in the
 * revocation feed until its `exp` + leeway); one issued to another client is refused with
 * `unauthorized_client` (§2.1); anything else (malformed, foreign, wrongly signed, already
 * revoked) answers 200 as §2.2 requires, since there is nothing left to revoke.
 */
export function registerRevocationRoute(app: FastifyInstance, context: ServerContext): void {
  app.post(context.basePath + REVOCATION_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const params = (request.body as Record<string, unknown> | undefined) ?? {};
    checkParameters(params);
    const token = readParam(params, 'token');
    readParam(params, 'token_type_hint');
    const client = await authenticateClient(
      context,
      params,
      request.headers.authorization,
      request.ip,
    );
    if (token === undefined) throw new AuthServerError('ERR_TOKEN_PARAMETER_MISSING');
    const inspected = await inspectAccessToken(context, token, false);
    if (inspected.state === 'active') {
      const claims = inspected.claims;
      if (claims['client_id'] !== client.clientId) {
        throw new AuthServerError('ERR_TOKEN_NOT_OWNED', { cause: client.clientId });
      }
      const nowSec = Math.floor(Date.now() / 1000);
      if (typeof claims.exp === 'number' && claims.exp > nowSec) {
        const entry = await context.store.revocations
          .revokeToken(String(claims.jti), { clientId: client.clientId, expiresAt: claims.exp })
          .catch((cause: unknown) => {
            throw new AuthServerError('ERR_STORE_UNAVAILABLE', { cause });
          });
        request.log.info(
          { revocation: { jti: entry.jti, client_id: client.clientId } },
          'token revoked',
        );
        await context.cache.refresh().catch(() => {});
      }
    }
    return reply.code(200).send();
  });
  registerPostOnly(app, context.basePath + REVOCATION_PATH);
}
