/**
 * Koa adapter: `requireToken({ verifier, scopes })` protects a route with a bearer token and sets
 * `ctx.state.auth`. Uses only the package's public API; Koa is a type-only import.
 */
import type { Middleware, Next, ParameterizedContext } from 'koa';
import { type AuthInfo, readAuthorizationHeader, type Verifier } from '../index.js';
import { type AuthenticateOutcome, authenticateRequest } from './internal/authenticate-request.js';
import { resolveRouteOptions } from './internal/resolve-route-options.js';

/** The `ctx.state` of a route protected by {@link requireToken}. */
export interface AuthState {
  /** Who called, set by `requireToken` once the bearer token verified. */
  auth: AuthInfo;
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
 * Koa middleware that lets a request through only with a valid bearer token (RFC 6750 §2.1)
 * granting `scopes`, and sets `ctx.state.auth = { clientId, scopes, claims }`. Failures answer
 * per RFC 6750 §3, as the Express and Fastify adapters do: 401 with `WWW-Authenticate: Bearer
 * realm=…, error="invalid_token", …` (no `error` when no token was sent), 400 `invalid_request`
 * for a malformed header, two tokens or two `Authorization` headers, 403 `insufficient_scope`
 * with the required `scope`, 503 when the keys cannot be loaded; JSON body
 * `{ error, error_description }`. Unexpected errors (bugs) are thrown to Koa's error handling.
 * Put it before any body parser, so an unauthenticated caller's body is never read.
 *
 * @param options - verifier, required scopes, realm.
 * @returns the middleware.
 * @throws TypeError when `verifier` is missing, a scope is not a scope token (RFC 6749 §3.3) or
 *   an option name is unknown.
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { createVerifier } from '@m2m-auth/verifier';
 * import { requireToken } from '@m2m-auth/verifier/koa';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.internal', audience: 'ms_ward' });
 * const app = new Koa();
 * app.use(requireToken({ verifier, scopes: ['wards:read'] }));
 * app.use((ctx) => {
 *   ctx.body = { caller: ctx.state.auth.clientId };
 * });
 * ```
 */
export function requireToken(options: RequireTokenOptions): Middleware<AuthState> {
  const { verifier, realm, verifyOptions } = resolveRouteOptions('requireToken', options);

  return function requireTokenMiddleware(ctx, next) {
    return authenticateRequest(
      verifier,
      verifyOptions,
      realm,
      readAuthorizationHeader(ctx.req.rawHeaders),
      KOA_OUTCOME,
      ctx,
      next,
      undefined,
    );
  };
}

/** How Koa answers: `ctx.state.auth` and `next()`, an RFC 6750 response, or a throw for a bug. */
const KOA_OUTCOME: AuthenticateOutcome<
  ParameterizedContext<AuthState>,
  Next,
  undefined,
  Promise<unknown> | undefined
> = {
  accept(ctx, next, _, auth) {
    ctx.state.auth = auth;
    return next();
  },
  refuse(ctx, _next, _, response) {
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = JSON.stringify(response.body);
    return undefined;
  },
  fail(_ctx, _next, _, error) {
    throw error;
  },
};
