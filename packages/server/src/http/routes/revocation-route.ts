import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { tokenDigest } from '../internal/endpoint-audit.js';
import { inspectAccessToken } from '../internal/inspect-access-token.js';
import { registerClientEndpoint } from '../internal/register-client-endpoint.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the token revocation endpoint (RFC 7009 §2). */
export const REVOCATION_PATH = '/oauth/revoke';

/**
 * Registers `POST /oauth/revoke` (RFC 7009): a client revokes a token issued to itself. The
 * caller authenticates exactly as at the token endpoint (RFC 7009 §2.1: client_secret_basic,
 * client_secret_post, private_key_jwt, adopted Passport hashes; the same failure limits). Every
 * request is an audit event: the caller, the outcome, the token's `jti` (or a digest prefix of a
 * token that is not ours), never the token. A valid token of this
 * issuer issued to the caller — expired or not — is recorded as revoked (its `jti`, kept in the
 * revocation feed until its `exp` + leeway); one issued to another client is refused with
 * `unauthorized_client` (§2.1); anything else (malformed, foreign, wrongly signed, already
 * revoked) answers 200 as §2.2 requires, since there is nothing left to revoke.
 */
export function registerRevocationRoute(app: FastifyInstance, context: ServerContext): void {
  registerClientEndpoint(app, context, {
    path: REVOCATION_PATH,
    refusedOutcome: 'revocation_refused',
    async handle({ caller: { client, method }, token }, request, reply) {
      if (token === undefined) throw new AuthServerError('ERR_TOKEN_PARAMETER_MISSING');
      const inspected = await inspectAccessToken(context, token, false);
      const jti = typeof inspected.claims?.jti === 'string' ? inspected.claims.jti : null;
      let found =
        jti === null ? `not a token of this server ${tokenDigest(token)}` : 'token already revoked';
      if (inspected.state === 'active') {
        const claims = inspected.claims;
        if (claims['client_id'] !== client.clientId) {
          throw new AuthServerError('ERR_TOKEN_NOT_OWNED', { cause: client.clientId });
        }
        const nowSec = Math.floor(Date.now() / 1000);
        found = 'token already expired';
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
          found = 'token revoked';
          await context.cache.refresh().catch(() => {});
        }
      }
      context.audit.endpoint(
        request,
        {
          outcome: 'revoked',
          clientId: client.clientId,
          audience: null,
          scopes: null,
          jti,
          reason: null,
          detail: `${found} (${method})`,
          status: 200,
        },
        'token revocation answered',
      );
      return reply.code(200).send();
    },
  });
}
