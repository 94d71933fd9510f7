import type { FastifyInstance } from 'fastify';
import { issuerBase, type ServerContext } from '../internal/server-context.js';
import { INTROSPECTION_PATH } from './introspection-route.js';
import { JWKS_PATH } from './jwks-route.js';
import { REVOCATION_PATH } from './revocation-route.js';
import { TOKEN_PATH } from './token-route.js';

/** Path of the authorization server metadata (RFC 8414 §3). */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

/**
 * Registers `GET /.well-known/oauth-authorization-server` (RFC 8414 §2).
 *
 * `response_types_supported` is REQUIRED by RFC 8414 and is `[]` here: this server has no
 * authorization endpoint, so it supports no response type; an empty list says so truthfully.
 */
export function registerMetadataRoute(app: FastifyInstance, context: ServerContext): void {
  app.get(METADATA_PATH, async (_request, reply) => {
    const fresh = context.cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const base = issuerBase(context);
    reply.header('cache-control', `public, max-age=${context.metadataMaxAgeSec}`);
    return {
      issuer: context.issuer,
      token_endpoint: base + TOKEN_PATH,
      jwks_uri: base + JWKS_PATH,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: await context.cache.scopesSupported(),
      introspection_endpoint: base + INTROSPECTION_PATH,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: base + REVOCATION_PATH,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
    };
  });
}
