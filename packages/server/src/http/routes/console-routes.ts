import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ADMIN_AUDIENCE } from '../../admin/admin-openapi.js';
import {
  grantClientCredentials,
  type TokenRequestFacts,
} from '../../grants/client-credentials-grant.js';
import type { ServerContext } from '../internal/server-context.js';
import { toAuthServerError } from '../internal/to-auth-server-error.js';
import { createTokenGrantContext } from './token-route.js';

/** Where the console is served on the admin listener. */
export const CONSOLE_PATH = '/console/';

/**
 * The console's static files, by the name they are served under: a fixed list, so no request path
 * ever reaches the file system. They ship in the package's `console/` folder, beside `dist/` and
 * `src/`, and are found from this module's own location.
 */
const STATIC_FILES: Readonly<Record<string, string>> = Object.freeze({
  '': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
});
const STATIC_DIR = new URL('../../../console/', import.meta.url);

/**
 * The console's pages load only their own files and talk only to this listener: nothing inline,
 * nothing from another origin, no framing, no plugins.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/**
 * Registers the operators' console on the admin listener (`serve --admin-port`): its static files
 * under `/console/` (strict Content-Security-Policy: `default-src 'self'`), and
 * `POST /console/sign-in`, which runs the client credentials grant (RFC 6749 §4.4) for the admin
 * audience `m2m-auth-admin` with a client_id and secret sent as JSON, so that the page gets an
 * admin token from the listener it was loaded from. Everything else the console does goes through
 * the admin API (`/admin/v1`) with that token.
 *
 * The sign-in is the token endpoint's own grant, failure limiter and audit events; it can only
 * issue tokens for the admin audience. Refusals answer without `WWW-Authenticate: Basic`, so a
 * browser never opens its own password dialog.
 */
export function registerConsoleRoutes(app: FastifyInstance, context: ServerContext): void {
  app.register(async (scope) => {
    scope.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
      done(null, payload);
    });
    scope.get('/console', async (_request, reply) => reply.redirect(CONSOLE_PATH, 308));
    for (const [name, type] of Object.entries(STATIC_FILES)) {
      const file = new URL(name === '' ? 'index.html' : name, STATIC_DIR);
      scope.get(`${CONSOLE_PATH}${name}`, async (_request, reply) => {
        const body = await readFile(file);
        return reply.type(type).header('cache-control', 'no-cache').send(body);
      });
    }
    const grantContext = createTokenGrantContext(context);
    scope.post<{ Body: { client_id: string; client_secret: string } }>(
      `${CONSOLE_PATH}sign-in`,
      {
        schema: {
          body: {
            type: 'object',
            properties: {
              client_id: { type: 'string', minLength: 1, maxLength: 256 },
              client_secret: { type: 'string', minLength: 1, maxLength: 1024 },
            },
            required: ['client_id', 'client_secret'],
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        const facts: TokenRequestFacts = {};
        try {
          const fresh = context.cache.ensureFresh();
          if (fresh !== undefined) await fresh;
          const result = await grantClientCredentials(
            {
              params: {
                grant_type: 'client_credentials',
                client_id: request.body.client_id,
                client_secret: request.body.client_secret,
                audience: ADMIN_AUDIENCE,
              },
              authorization: undefined,
              sourceAddress: request.ip,
              facts,
            },
            grantContext,
          );
          context.audit.issued(request, result);
          const { access_token, token_type, expires_in, scope: granted } = result.body;
          return { access_token, token_type, expires_in, scope: granted };
        } catch (err) {
          const refusal = toAuthServerError(err);
          if (refusal.status >= 500) request.log.error({ err }, 'console sign-in failed');
          context.audit.refused(request, refusal, facts);
          if (refusal.retryAfterSec !== undefined) {
            reply.header('retry-after', String(refusal.retryAfterSec));
          }
          return reply
            .code(refusal.status)
            .type('application/json; charset=utf-8')
            .send({ ...refusal.toJSON(), code: refusal.code });
        }
      },
    );
  });
}
