import type { FastifyInstance } from 'fastify';
import { AuthServerError } from '../../errors/auth-server-error.js';
import { checkParameters } from '../../grants/internal/check-parameters.js';
import { readParam } from '../../grants/internal/read-param.js';
import { authenticateClient } from '../internal/authenticate-client.js';
import { inspectAccessToken } from '../internal/inspect-access-token.js';
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
 * client (Basic or body credentials, under the token endpoint's failure limits) holding
 * {@link INTROSPECT_SCOPE}. The answer is `{"active": false}` for anything that is not a valid
 * token of this issuer now — malformed, unknown, wrongly signed, expired, revoked (§2.2 reveals no
 * reason) — and otherwise `active: true` with the token's RFC 9068 claims and `token_type`.
 * `Cache-Control: no-store`: a cached "active" would outlive a revocation.
 */
export function registerIntrospectionRoute(app: FastifyInstance, context: ServerContext): void {
  app.post(context.basePath + INTROSPECTION_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const params = (request.body as Record<string, unknown> | undefined) ?? {};
    checkParameters(params);
    const token = readParam(params, 'token');
    // token_type_hint (§2.1) may be ignored: this server issues one kind of token.
    readParam(params, 'token_type_hint');
    const client = await authenticateClient(
      context,
      params,
      request.headers.authorization,
      request.ip,
    );
    if (!client.scopes.includes(INTROSPECT_SCOPE)) {
      throw new AuthServerError('ERR_INTROSPECTION_NOT_ALLOWED', { cause: client.clientId });
    }
    if (token === undefined) throw new AuthServerError('ERR_TOKEN_PARAMETER_MISSING');
    const inspected = await inspectAccessToken(context, token);
    if (inspected.state !== 'active') return { active: false };
    return { active: true, ...inspected.claims, token_type: 'Bearer' };
  });
  registerPostOnly(app, context.basePath + INTROSPECTION_PATH);
}

/** Answers other methods on a POST-only endpoint with 405 and `Allow: POST`. */
export function registerPostOnly(app: FastifyInstance, path: string): void {
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: path,
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AuthServerError('ERR_METHOD_NOT_ALLOWED');
    },
  });
}
