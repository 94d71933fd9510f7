import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { tokenDigest } from '../internal/endpoint-audit.js';
import { inspectAccessToken } from '../internal/inspect-access-token.js';
import { registerClientEndpoint } from '../internal/register-client-endpoint.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the token introspection endpoint (RFC 7662 §2). */
export const INTROSPECTION_PATH = '/oauth/introspect';

/**
 * The scope a client needs among its allowed scopes to call the introspection endpoint (register
 * it with `client create --scopes m2m-auth:introspect`). A scope rather than a new client field:
 * no schema change, and it shows in `client show` like any other permission.
 */
export const INTROSPECT_SCOPE = 'm2m-auth:introspect';

/**
 * Registers `POST /oauth/introspect` (RFC 7662): for resource servers that cannot verify tokens
 * locally (gateways such as Apache mod_oauth2, non-Node services). The caller authenticates as a
 * client exactly as at the token endpoint (RFC 7662 §2.1: client_secret_basic, client_secret_post,
 * private_key_jwt, adopted Passport hashes; the same failure limits) and must hold
 * {@link INTROSPECT_SCOPE}. Every request is an audit event: the caller, the outcome, and the
 * token's `jti` (or a digest prefix of a token that is not ours), never the token. The answer is `{"active": false}` for anything that is not a valid
 * token of this issuer now — malformed, unknown, wrongly signed, expired, revoked (§2.2 reveals no
 * reason) — and otherwise `active: true` with the token's RFC 9068 claims and `token_type`.
 * `Cache-Control: no-store`: a cached "active" would outlive a revocation.
 */
export function registerIntrospectionRoute(app: FastifyInstance, context: ServerContext): void {
  registerClientEndpoint(app, context, {
    path: INTROSPECTION_PATH,
    refusedOutcome: 'introspection_refused',
    async handle({ caller: { client, method }, token }, request) {
      if (!client.scopes.includes(INTROSPECT_SCOPE)) {
        throw new AuthServerError('ERR_INTROSPECTION_NOT_ALLOWED', { cause: client.clientId });
      }
      if (token === undefined) throw new AuthServerError('ERR_TOKEN_PARAMETER_MISSING');
      const inspected = await inspectAccessToken(context, token);
      const jti = typeof inspected.claims?.jti === 'string' ? inspected.claims.jti : null;
      context.audit.endpoint(
        request,
        {
          outcome: 'introspected',
          clientId: client.clientId,
          audience: null,
          scopes: null,
          jti,
          reason: null,
          detail: `${inspected.state} token${jti === null ? ` ${tokenDigest(token)}` : ''} (${method})`,
          status: 200,
        },
        'token introspected',
      );
      if (inspected.state !== 'active') return { active: false };
      return { active: true, ...inspected.claims, token_type: 'Bearer' };
    },
  });
}
