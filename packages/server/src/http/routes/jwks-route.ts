import type { FastifyInstance } from 'fastify';
import { JWKS_PATH } from '../endpoint-paths.js';
import type { ServerContext } from '../internal/server-context.js';

export { JWKS_PATH };

/**
 * Registers `GET /.well-known/jwks.json`: every published key (next, active, and retired ones
 * until their tokens have expired), with `Cache-Control: public, max-age=<jwksMaxAgeSec>` — the
 * propagation delay of a key rotation must be at least that long.
 */
export function registerJwksRoute(app: FastifyInstance, context: ServerContext): void {
  app.get(context.basePath + JWKS_PATH, async (_request, reply) => {
    const fresh = context.cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const jwks = await context.cache.jwks(Math.floor(Date.now() / 1000));
    reply.header('cache-control', `public, max-age=${context.jwksMaxAgeSec}`);
    return jwks;
  });
}
