/**
 * Hono adapter: `requireToken({ verifier, scopes })` protects a route with a bearer token and sets
 * `c.get('auth')`, typed through Hono's context variables. Uses only the package's public API;
 * Hono is a type-only import, and `@hono/node-server` is not needed.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type AuthInfo, readAuthorizationHeader, type Verifier } from '../index.js';
import { type AuthenticateOutcome, authenticateRequest } from './internal/authenticate-request.js';
import { resolveRouteOptions } from './internal/resolve-route-options.js';

/**
 * The context variables `requireToken` sets: `c.get('auth')` is who called. Give it to
 * `new Hono<{ Variables: AuthVariables }>()` (or merge it into your own `Variables`).
 */
export interface AuthVariables {
  /** Who called, set by `requireToken` once the bearer token verified. */
  auth: AuthInfo;
}

/** The Hono environment of a route protected by {@link requireToken}. */
export interface AuthEnv {
  Variables: AuthVariables;
}

/** Options of {@link requireToken}. */
export interface RequireTokenOptions {
  /** The verifier made once per service with `createVerifier`. */
  verifier: Verifier;
  /** Scopes this route requires (all of them, exact strings). Default none. */
  scopes?: readonly string[];
  /** `realm` of the challenge. Default: the verifier's realm (its first audience). */
  realm?: string;
}

/**
 * Hono middleware that lets a request through only with a valid bearer token (RFC 6750 §2.1)
 * granting `scopes`, and sets `c.get('auth') = { clientId, scopes, claims }`. Failures answer per
 * RFC 6750 §3, as the Express and Fastify adapters do: 401 with `WWW-Authenticate: Bearer realm=…,
 * error="invalid_token", …` (no `error` when no token was sent), 400 `invalid_request` for a
 * malformed header, two tokens or two `Authorization` headers, 403 `insufficient_scope` with the
 * required `scope`, 503 when the keys cannot be loaded; JSON body `{ error, error_description }`.
 * Unexpected errors (bugs) are thrown to Hono's `onError`.
 *
 * The header is read with Hono's request API (`c.req.header`), so the middleware runs on any
 * runtime; there, two `Authorization` lines arrive joined by a comma and are refused as two
 * tokens. On `@hono/node-server` the raw header lines are read, so the answer names the two
 * headers exactly as the Express adapter does. The body is never read here: it runs before the
 * handler parses anything.
 *
 * @param options - verifier, required scopes, realm.
 * @returns the middleware.
 * @throws TypeError when `verifier` is missing, a scope is not a scope token (RFC 6749 §3.3) or
 *   an option name is unknown.
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from '@m2m-auth/verifier';
 * import { type AuthEnv, requireToken } from '@m2m-auth/verifier/hono';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.internal', audience: 'ms_ward' });
 * const app = new Hono<AuthEnv>();
 * app.get('/wards', requireToken({ verifier, scopes: ['wards:read'] }), (c) =>
 *   c.json({ caller: c.get('auth').clientId }),
 * );
 * ```
 */
export function requireToken(options: RequireTokenOptions): MiddlewareHandler<AuthEnv> {
  const { verifier, realm, verifyOptions } = resolveRouteOptions('requireToken', options);

  return function requireTokenMiddleware(c, next) {
    return authenticateRequest(
      verifier,
      verifyOptions,
      realm,
      readAuthorization(c),
      HONO_OUTCOME,
      c,
      next,
      undefined,
    );
  };
}

/** How Hono answers: `c.set('auth')` and `next()`, an RFC 6750 response, or a throw for a bug. */
const HONO_OUTCOME: AuthenticateOutcome<
  Context<AuthEnv>,
  Next,
  undefined,
  ReturnType<MiddlewareHandler>
> = {
  accept(c, next, _, auth) {
    c.set('auth', auth);
    return next();
  },
  refuse(c, _next, _, response) {
    // A promise, as Hono's middleware type asks; only refusals pay for it.
    return Promise.resolve(
      c.body(JSON.stringify(response.body), response.status as ContentfulStatusCode, {
        ...response.headers,
        'content-type': 'application/json; charset=utf-8',
      }),
    );
  },
  fail(_c, _next, _, error) {
    throw error;
  },
};

/** The Node request `@hono/node-server` passes as `c.env.incoming`, when there is one. */
interface NodeBindings {
  incoming?: { rawHeaders?: unknown };
}

function readAuthorization(c: Context<AuthEnv>): string | string[] | undefined {
  const rawHeaders = (c.env as NodeBindings | undefined)?.incoming?.rawHeaders;
  if (Array.isArray(rawHeaders)) return readAuthorizationHeader(rawHeaders as string[]);
  return c.req.header('authorization');
}
