import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_ASSERTION_ALGS } from '../../clients/client-public-keys.js';
import { issuerBase, type ServerContext } from '../internal/server-context.js';
import { INTROSPECTION_PATH } from './introspection-route.js';
import { JWKS_PATH } from './jwks-route.js';
import { REVOCATION_PATH } from './revocation-route.js';
import { TOKEN_PATH } from './token-route.js';

/** Path of the authorization server metadata (RFC 8414 §3). */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

/**
 * Registers `GET /.well-known/oauth-authorization-server` (RFC 8414 §2); for an issuer with a path,
 * under that path and at the RFC 8414 §3 location (`/.well-known/oauth-authorization-server/<path>`).
 *
 * `response_types_supported` is REQUIRED by RFC 8414 and is `[]` here: this server has no
 * authorization endpoint, so it supports no response type; an empty list says so truthfully.
 */
export function registerMetadataRoute(app: FastifyInstance, context: ServerContext): void {
  const paths = [context.basePath + METADATA_PATH];
  // RFC 8414 §3: for an issuer with a path, the well-known suffix goes between host and path.
  if (context.basePath !== '') paths.push(METADATA_PATH + context.basePath);
  for (const path of paths) app.get(path, handler);

  async function handler(_request: FastifyRequest, reply: FastifyReply) {
    const fresh = context.cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const base = issuerBase(context);
    reply.header('cache-control', `public, max-age=${context.metadataMaxAgeSec}`);
    return {
      issuer: context.issuer,
      token_endpoint: base + TOKEN_PATH,
      jwks_uri: base + JWKS_PATH,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
      scopes_supported: await context.cache.scopesSupported(),
      introspection_endpoint: base + INTROSPECTION_PATH,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: base + REVOCATION_PATH,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
    };
  }
}
