/**
 * Express adapter: `requireToken({ verifier, scopes })` protects a route with a bearer token and
 * sets `req.auth`. Uses only the package's public API; Express is a type-only import.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type AuthInfo, readAuthorizationHeader, type Verifier } from '../index.js';
import { type AuthenticateOutcome, authenticateRequest } from './internal/authenticate-request.js';
import { resolveRouteOptions } from './internal/resolve-route-options.js';

declare global {
  namespace Express {
    interface Request {
      /** Who called, set by `requireToken` once the bearer token verified. */
      auth?: AuthInfo;
    }
  }
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
 * Express middleware that lets a request through only with a valid bearer token (RFC 6750 §2.1)
 * granting `scopes`, and sets `req.auth = { clientId, scopes, claims }`. Failures answer per
 * RFC 6750 §3: 401 with `WWW-Authenticate: Bearer realm=…, error="invalid_token", …` (no `error`
 * when no token was sent), 400 `invalid_request` for a malformed header or two tokens, 403
 * `insufficient_scope` with the required `scope`, 503 when the keys cannot be loaded; JSON body
 * `{ error, error_description }`. Only unexpected errors (bugs) go to `next(err)`.
 *
 * @param options - verifier, required scopes, realm.
 * @returns the middleware.
 * @throws TypeError for an unknown option name (`scope` → did you mean `scopes`?), when `verifier`
 *   is missing or a scope is not a scope token (RFC 6749 §3.3).
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from '@m2m-auth/verifier';
 * import { requireToken } from '@m2m-auth/verifier/express';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.internal', audience: 'ms_doctor' });
 * const app = express();
 * app.get('/doctors', requireToken({ verifier, scopes: ['doctors:read'] }), (req, res) => {
 *   res.json({ caller: req.auth?.clientId });
 * });
 * ```
 */
export function requireToken(options: RequireTokenOptions): RequestHandler {
  const { verifier, realm, verifyOptions } = resolveRouteOptions('requireToken', options);
  return function requireTokenMiddleware(req: Request, res: Response, next: NextFunction): void {
    authenticateRequest(
      verifier,
      verifyOptions,
      realm,
      readAuthorizationHeader(req.rawHeaders),
      EXPRESS_OUTCOME,
      req,
      res,
      next,
    );
  };
}

/** How Express answers: `req.auth` and `next()`, an RFC 6750 reply, or `next(err)` for a bug. */
const EXPRESS_OUTCOME: AuthenticateOutcome<Request, Response, NextFunction, void> = {
  accept(req, _res, next, auth) {
    req.auth = auth;
    next();
  },
  refuse(_req, res, _next, response) {
    res.status(response.status).set(response.headers).json(response.body);
  },
  fail(_req, _res, next, error) {
    next(error);
  },
};
