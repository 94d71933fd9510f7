/**
 * Fastify adapter: a plugin that decorates `request.auth` and `fastify.requireToken({ scopes })`,
 * and a standalone `requireToken({ verifier, scopes })` hook for a route's `onRequest`. Uses only
 * the package's public API; Fastify is a type-only import.
 */
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { type AuthInfo, readAuthorizationHeader, type Verifier } from '../index.js';
import { checkOptionNames } from '../internal/check-option-names.js';
import { type AuthenticateOutcome, authenticateRequest } from './internal/authenticate-request.js';
import { resolveRouteOptions } from './internal/resolve-route-options.js';

/** Names of `fastify.requireToken(options)`. */
const ROUTE_TOKEN_OPTION_NAMES: readonly string[] = ['scopes', 'realm'];

/** Names of the plugin's options: ours, and those Fastify's `register` itself takes. */
const PLUGIN_OPTION_NAMES: readonly string[] = [
  'verifier',
  'realm',
  'prefix',
  'logLevel',
  'logSerializers',
];

/**
 * A route-level `onRequest` hook (callback style, so a cache hit costs no promise). `onRequest`
 * runs before Fastify reads and parses the body, so an unauthenticated caller's payload is never
 * read; the same hook also works as a `preHandler`, after the body was parsed.
 */
export type RequireTokenHook = (
  this: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

/** Route options of `fastify.requireToken`. */
export interface RouteTokenOptions {
  /** Scopes the route requires (all of them, exact strings). Default none. */
  scopes?: readonly string[];
  /** `realm` of the challenge. Default: the plugin's realm, else the verifier's. */
  realm?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called: set by the `requireToken` hook; `null` on unprotected routes. */
    auth: AuthInfo | null;
  }
  interface FastifyInstance {
    /** An `onRequest` hook that requires a valid bearer token (registered by `fastifyVerifier`). */
    requireToken(options?: RouteTokenOptions): RequireTokenHook;
  }
}

/** Options of {@link requireToken}. */
export interface RequireTokenOptions extends RouteTokenOptions {
  /** The verifier made once per service with `createVerifier`. */
  verifier: Verifier;
}

/** Options of the {@link fastifyVerifier} plugin. */
export interface FastifyVerifierOptions {
  /** The verifier made once per service with `createVerifier`. */
  verifier: Verifier;
  /** `realm` of the challenges. Default: the verifier's realm (its first audience). */
  realm?: string;
}

/**
 * A Fastify `onRequest` hook that lets a request through only with a valid bearer token
 * (RFC 6750 §2.1) granting `scopes`, and sets `request.auth = { clientId, scopes, claims }`.
 * Failures answer per RFC 6750 §3 (401 `invalid_token` or no error code without a token, 400
 * `invalid_request`, 403 `insufficient_scope` with `scope`, 503 when the keys cannot be loaded),
 * JSON body `{ error, error_description }`. Register {@link fastifyVerifier} too, so that
 * `request.auth` is a declared decorator (a stable object shape).
 *
 * @param options - verifier, required scopes, realm.
 * @returns the hook, for the route's `onRequest` (before the body is read).
 * @throws TypeError for an unknown option name (`scope` → did you mean `scopes`?), when `verifier`
 *   is missing or a scope is not a scope token (RFC 6749 §3.3).
 * @example
 * ```ts
 * app.get('/doctors', { onRequest: requireToken({ verifier, scopes: ['doctors:read'] }) },
 *   async (request) => ({ caller: request.auth?.clientId }));
 * ```
 */
export function requireToken(options: RequireTokenOptions): RequireTokenHook {
  const { verifier, realm, verifyOptions } = resolveRouteOptions('requireToken', options);

  return function requireTokenHook(request, reply, done) {
    authenticateRequest(
      verifier,
      verifyOptions,
      realm,
      readAuthorizationHeader(request.raw.rawHeaders),
      FASTIFY_OUTCOME,
      request,
      reply,
      done,
    );
  };
}

/** How Fastify answers: `request.auth` and `done()`, an RFC 6750 reply, or `done(err)` for a bug. */
const FASTIFY_OUTCOME: AuthenticateOutcome<
  FastifyRequest,
  FastifyReply,
  HookHandlerDoneFunction,
  void
> = {
  accept(request, _reply, done, auth) {
    request.auth = auth;
    done();
  },
  refuse(_request, reply, _done, response) {
    // Replying from a callback-style hook: send and do not call done (Fastify Hooks docs).
    reply.code(response.status).headers(response.headers).send(response.body);
  },
  fail(_request, _reply, done, error) {
    done(error as Error);
  },
};

/**
 * Fastify plugin: declares `request.auth` (null until `requireToken` sets it) and decorates
 * `fastify.requireToken({ scopes })`. Not encapsulated (like `fastify-plugin`), so routes of the
 * registering scope and its children see the decorators.
 *
 * @param fastify - the instance.
 * @param options - `{ verifier, realm? }`.
 * @throws TypeError (through `register`) when `verifier` is missing or an option name is unknown;
 *   `fastify.requireToken` throws TypeError for an unknown route option name.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier } from '@m2m-auth/verifier';
 * import { fastifyVerifier } from '@m2m-auth/verifier/fastify';
 *
 * const app = Fastify();
 * await app.register(fastifyVerifier, { verifier: createVerifier({ issuer, audience: 'ms_doctor' }) });
 * app.get('/doctors', { onRequest: app.requireToken({ scopes: ['doctors:read'] }) },
 *   async (request) => ({ caller: request.auth?.clientId }));
 * ```
 */
export const fastifyVerifier: FastifyPluginCallback<FastifyVerifierOptions> = (
  fastify,
  options,
  done,
) => {
  if (typeof options?.verifier?.authenticate !== 'function') {
    done(new TypeError('fastifyVerifier needs { verifier } made with createVerifier'));
    return;
  }
  try {
    checkOptionNames(options, PLUGIN_OPTION_NAMES, 'fastifyVerifier');
  } catch (err) {
    done(err as TypeError);
    return;
  }
  const { verifier, realm } = options;
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  fastify.decorate('requireToken', (routeOptions: RouteTokenOptions = {}) => {
    checkOptionNames(routeOptions, ROUTE_TOKEN_OPTION_NAMES, 'fastify.requireToken');
    return requireToken({
      verifier,
      realm: routeOptions.realm ?? realm,
      scopes: routeOptions.scopes,
    });
  });
  done();
};

// What fastify-plugin sets, without depending on it: skip encapsulation, name the plugin.
Object.assign(fastifyVerifier, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@m2m-auth/verifier',
});

export default fastifyVerifier;
