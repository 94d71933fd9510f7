/**
 * NestJS adapter: `M2MAuthModule.forRoot(...)` provides the verifier, `@RequireScopes(...)` puts
 * `RequireTokenGuard` on a route or controller, and `@Auth()` hands the verified caller to a
 * handler. Uses only the package's public API. `@nestjs/common` is its only runtime import (Nest's
 * decorators are values); everything else is type-only, and decorators are applied as plain
 * function calls, so no compiler decorator setting is needed here or in a plain-JS application.
 */
import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type DynamicModule,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import {
  type AuthInfo,
  createVerifier,
  isScopeToken,
  readAuthorizationHeader,
  type Verifier,
  type VerifierOptions,
  type VerifyOptions,
} from '../index.js';
import { checkOptionNames } from '../internal/check-option-names.js';
import { type AuthenticateOutcome, authenticateRequest } from './internal/authenticate-request.js';
import { resolveRouteOptions } from './internal/resolve-route-options.js';

/** Injection token of the module's {@link Verifier}. */
export const M2M_AUTH_VERIFIER = Symbol.for('@m2m-auth/verifier/nest:verifier');
/** Injection token of the module's realm (a string, or `undefined` for the verifier's). */
export const M2M_AUTH_REALM = Symbol.for('@m2m-auth/verifier/nest:realm');
/** Metadata key under which `@RequireScopes` stores a route's verify options. */
const SCOPES_METADATA = '@m2m-auth/verifier:scopes';

/**
 * Options of {@link M2MAuthModule.forRoot}: at most one of `verifier` and `verifierOptions`;
 * with neither, the verifier is built from the environment variables `m2m-auth provision` writes.
 */
export interface M2MAuthModuleOptions {
  /** A verifier made with `createVerifier`. */
  verifier?: Verifier;
  /** Options for `createVerifier`, called once when the module is built. */
  verifierOptions?: VerifierOptions;
  /** `realm` of the challenges. Default: the verifier's realm (its first audience). */
  realm?: string;
  /**
   * Where to read `OAUTH_ISSUER`, `OAUTH_AUDIENCE` and the key source (`OAUTH_PUBLIC_KEY_PATH`,
   * else `OAUTH_JWKS_URL`) when neither `verifier` nor `verifierOptions` is given.
   * Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

const MODULE_OPTION_NAMES = ['verifier', 'verifierOptions', 'realm', 'env'] as const;

/**
 * A guard that lets a request through only with a valid bearer token (RFC 6750 §2.1) granting the
 * scopes of `@RequireScopes` on the handler and its controller (all of them), and sets
 * `request.auth = { clientId, scopes, claims }` (read it with `@Auth()`). Failures answer per
 * RFC 6750 §3, as the Express and Fastify adapters do: 401 with `WWW-Authenticate: Bearer
 * realm=…, error="invalid_token", …` (no `error` without a token), 400 `invalid_request`, 403
 * `insufficient_scope` with the required `scope`, 503 when the keys cannot be loaded; JSON body
 * `{ error, error_description }`, sent by Nest's exception layer as an `HttpException`.
 *
 * Nest's default body parser reads bodies before guards run: create the application with
 * `{ bodyParser: false }` (and parse in the handler) where an unauthenticated caller's body must
 * not be read.
 */
export class RequireTokenGuard implements CanActivate {
  readonly #verifier: Verifier;
  readonly #realm: string | undefined;

  /**
   * @param verifier - the module's verifier ({@link M2M_AUTH_VERIFIER}).
   * @param realm - the module's realm ({@link M2M_AUTH_REALM}).
   * @throws TypeError when `verifier` is not a verifier.
   */
  constructor(verifier: Verifier, realm?: string) {
    this.#verifier = resolveRouteOptions('RequireTokenGuard', { verifier }).verifier;
    this.#realm = realm ?? verifier.realm;
  }

  /**
   * @returns true on a cache hit (synchronously) or once the token verified.
   * @throws HttpException 400, 401, 403 or 503 with the RFC 6750 answer.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<NodeRequest>();
    return authenticateRequest(
      this.#verifier,
      routeVerifyOptions(context),
      this.#realm,
      readAuthorizationHeader(request.rawHeaders ?? request.raw?.rawHeaders ?? []),
      NEST_OUTCOME,
      request,
      http,
      undefined,
    );
  }
}
Injectable()(RequireTokenGuard);
Inject(M2M_AUTH_VERIFIER)(RequireTokenGuard, undefined, 0);
Inject(M2M_AUTH_REALM)(RequireTokenGuard, undefined, 1);

/**
 * How the guard answers: `request.auth` and true, or an `HttpException` carrying the RFC 6750
 * answer (its headers set on the response first); a bug is rethrown to Nest's exception layer.
 */
const NEST_OUTCOME: AuthenticateOutcome<NodeRequest, HttpArguments, undefined, boolean> = {
  accept(request, _http, _, auth) {
    request.auth = auth;
    return true;
  },
  refuse(_request, http, _, response) {
    const reply = http.getResponse<NodeResponse>();
    for (const [name, value] of Object.entries(response.headers)) setHeader(reply, name, value);
    throw new HttpException(response.body, response.status);
  },
  fail(_request, _http, _, error) {
    throw error;
  },
};

/**
 * Requires a valid bearer token granting `scopes` on a route (method decorator) or every route of
 * a controller (class decorator): puts {@link RequireTokenGuard} on it. Scopes of the controller
 * and of the handler add up. Needs {@link M2MAuthModule} imported once.
 *
 * @param scopes - scope tokens (RFC 6749 §3.3), exact strings; none means any valid token.
 * @returns the decorator.
 * @throws TypeError when a scope is not a scope token.
 * @example
 * ```ts
 * @Controller('wards')
 * class WardsController {
 *   @Get()
 *   @RequireScopes('wards:read')
 *   list(@Auth() auth: AuthInfo) {
 *     return { caller: auth.clientId };
 *   }
 * }
 * ```
 */
export function RequireScopes(...scopes: string[]): MethodDecorator & ClassDecorator {
  if (!scopes.every(isScopeToken)) {
    throw new TypeError('RequireScopes takes scope tokens (RFC 6749 §3.3)');
  }
  return applyDecorators(
    SetMetadata(SCOPES_METADATA, Object.freeze([...scopes])),
    UseGuards(RequireTokenGuard),
  ) as MethodDecorator & ClassDecorator;
}

/**
 * Parameter decorator giving a handler the verified caller, an {@link AuthInfo} (`undefined` on a
 * route without {@link RequireScopes} or {@link RequireTokenGuard}).
 *
 * @example
 * ```ts
 * list(@Auth() auth: AuthInfo) { return { caller: auth.clientId }; }
 * ```
 */
export const Auth: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthInfo | undefined =>
    context.switchToHttp().getRequest<NodeRequest>().auth,
);

/**
 * The module that provides the verifier to {@link RequireTokenGuard}. Import it once, in the root
 * module: it is global.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot is Nest's idiom for a configured one
export class M2MAuthModule {
  /**
   * @param options - `{ verifier }`, `{ verifierOptions }` or neither (then the environment),
   *   and `realm`.
   * @returns the dynamic module, global, exporting {@link M2M_AUTH_VERIFIER} and the guard.
   * @throws TypeError for an unknown option name, both `verifier` and `verifierOptions`, or
   *   anything `createVerifier` refuses (a missing environment variable included) — at start.
   * @example
   * ```ts
   * // OAUTH_ISSUER, OAUTH_AUDIENCE, OAUTH_PUBLIC_KEY_PATH from the service's .env
   * @Module({ imports: [M2MAuthModule.forRoot()], controllers: [WardsController] })
   * class AppModule {}
   * ```
   */
  static forRoot(options: M2MAuthModuleOptions = {}): DynamicModule {
    checkOptionNames(options, MODULE_OPTION_NAMES, 'M2MAuthModule.forRoot');
    if (options.verifier !== undefined && options.verifierOptions !== undefined) {
      throw new TypeError('M2MAuthModule.forRoot takes verifier or verifierOptions, not both');
    }
    const verifier =
      options.verifier ??
      createVerifier(options.verifierOptions ?? verifierOptionsFromEnv(options.env ?? process.env));
    resolveRouteOptions('M2MAuthModule.forRoot', { verifier, realm: options.realm });
    return {
      module: M2MAuthModule,
      global: true,
      providers: [
        { provide: M2M_AUTH_VERIFIER, useValue: verifier },
        { provide: M2M_AUTH_REALM, useValue: options.realm },
        RequireTokenGuard,
      ],
      exports: [M2M_AUTH_VERIFIER, M2M_AUTH_REALM, RequireTokenGuard],
    };
  }
}
Module({})(M2MAuthModule);

/**
 * Verifier options from the variables `m2m-auth provision` writes in a receiver's .env: the key
 * file when `OAUTH_PUBLIC_KEY_PATH` is set, else the JWKS URL.
 */
function verifierOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): VerifierOptions {
  const value = (name: string): string | undefined => {
    const found = env[name];
    return found === undefined || found === '' ? undefined : found;
  };
  const options: VerifierOptions = {};
  const issuer = value('OAUTH_ISSUER');
  const audience = value('OAUTH_AUDIENCE');
  if (issuer !== undefined) options.issuer = issuer;
  if (audience !== undefined) options.audience = audience;
  const publicKeyPath = value('OAUTH_PUBLIC_KEY_PATH');
  const jwksUri = value('OAUTH_JWKS_URL');
  if (publicKeyPath !== undefined) options.publicKeyPath = publicKeyPath;
  else if (jwksUri !== undefined) options.jwksUri = jwksUri;
  else
    throw new TypeError(
      'M2MAuthModule.forRoot() without options needs OAUTH_PUBLIC_KEY_PATH or OAUTH_JWKS_URL',
    );
  if (issuer === undefined) throw new TypeError('M2MAuthModule.forRoot() needs OAUTH_ISSUER');
  if (audience === undefined) throw new TypeError('M2MAuthModule.forRoot() needs OAUTH_AUDIENCE');
  return options;
}

/** The scopes of `@RequireScopes` on the handler and its controller, as verify options. */
function routeVerifyOptions(context: ExecutionContext): VerifyOptions | undefined {
  const onHandler = getMetadata(context.getHandler());
  const onClass = getMetadata(context.getClass());
  if (onHandler === undefined && onClass === undefined) return undefined;
  const key = onHandler ?? onClass;
  let options = verifyOptionsCache.get(key as object);
  if (options === undefined) {
    const scopes = [...new Set([...(onClass ?? []), ...(onHandler ?? [])])];
    options = Object.freeze({ scopes: Object.freeze(scopes) });
    verifyOptionsCache.set(key as object, options);
  }
  return options;
}

/** Frozen verify options per metadata array, so a request allocates none. */
const verifyOptionsCache = new WeakMap<object, VerifyOptions>();

/** `Reflect.getMetadata` of reflect-metadata, which Nest loads; our scopes live there. */
function getMetadata(target: object): readonly string[] | undefined {
  const reflect = Reflect as unknown as {
    getMetadata?(key: string, target: object): unknown;
  };
  return reflect.getMetadata?.(SCOPES_METADATA, target) as readonly string[] | undefined;
}

/** Nest's HTTP view of a request (its type is not exported from `@nestjs/common`'s root). */
type HttpArguments = ReturnType<ExecutionContext['switchToHttp']>;

/** Express (`req.rawHeaders`) or Fastify (`request.raw.rawHeaders`) request. */
interface NodeRequest {
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
  auth?: AuthInfo;
}

/** Express response (`setHeader`) or Fastify reply (`header`). */
interface NodeResponse {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

function setHeader(reply: NodeResponse, name: string, value: string): void {
  if (typeof reply.setHeader === 'function') reply.setHeader(name, value);
  else reply.header?.(name, value);
}
