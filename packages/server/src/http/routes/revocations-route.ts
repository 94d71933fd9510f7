import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RevocationList } from '../../revocations/revocation-store.js';
import type { ServerContext } from '../internal/server-context.js';

/** Path of the revocation feed (an m2m-auth extension; RFC 8414 has no member for it). */
export const REVOCATIONS_PATH = '/revocations';

/**
 * The revocation feed document. Members use JWT claim names (RFC 7519 §4.1) where they mean the
 * same: `exp` of an entry is when it leaves the feed, after which no token it covers can be
 * valid.
 */
export interface RevocationFeed {
  /** The issuer identifier: a verifier checks it equals its own `issuer`. */
  iss: string;
  /** Every token with this `client_id` is revoked (the client was revoked at `revoked_at`). */
  revoked_clients: { client_id: string; revoked_at: number; exp: number }[];
  /** Tokens revoked one by one, by `jti`. */
  revoked_tokens: { jti: string; revoked_at: number; exp: number }[];
}

/**
 * Registers `GET /revocations`: the revoked clients and token ids that still cover a token that
 * could be valid, as JSON, served like the JWKS (same issuer, same channel, public), with a
 * strong `ETag` over the content (identical on every instance sharing the database: members are
 * sorted), `If-None-Match` answered with 304, and `Cache-Control: no-cache` so that shared caches
 * always revalidate — a stale copy would delay revocations.
 */
export function registerRevocationsRoute(app: FastifyInstance, context: ServerContext): void {
  let last: { list: RevocationList; issuer: string; body: string; etag: string } | undefined;
  app.get(context.basePath + REVOCATIONS_PATH, async (request, reply) => {
    const fresh = context.cache.ensureFresh();
    if (fresh !== undefined) await fresh;
    const list = await context.cache.revocations(Math.floor(Date.now() / 1000));
    if (last === undefined || last.list !== list || last.issuer !== context.issuer) {
      const feed: RevocationFeed = {
        iss: context.issuer,
        revoked_clients: list.clients.map((entry) => ({
          client_id: entry.clientId,
          revoked_at: entry.revokedAt,
          exp: entry.expiresAt,
        })),
        revoked_tokens: list.tokens.map((entry) => ({
          jti: entry.jti,
          revoked_at: entry.revokedAt,
          exp: entry.expiresAt,
        })),
      };
      const body = JSON.stringify(feed);
      const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
      last = { list, issuer: context.issuer, body, etag };
    }
    reply.header('cache-control', 'no-cache').header('etag', last.etag);
    const ifNoneMatch = request.headers['if-none-match'];
    if (
      typeof ifNoneMatch === 'string' &&
      ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === last?.etag)
    ) {
      return reply.code(304).send();
    }
    return reply.type('application/json; charset=utf-8').send(last.body);
  });
}
