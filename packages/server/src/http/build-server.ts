import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Store } from '../app/store.js';
import { type AuditStoreOptions, AuditWriter } from '../audit/audit-writer.js';
import { ClientJwksCache } from '../clients/client-jwks-cache.js';
import { AuthServerError } from '../errors/auth-server-error.js';
import {
  type ClientAssertionSettings,
  DEFAULT_CLIENT_ASSERTION_SETTINGS,
} from '../grants/verify-client-assertion.js';
import { rejectUnknownOptions } from '../internal/reject-unknown-options.js';
import { DueKeyTransitions } from '../keys/due-key-transitions.js';
import {
  AuthFailureLimiter,
  type AuthFailureLimitOptions,
} from '../limits/auth-failure-limiter.js';
import { ServerMetrics, type ServerMetricsOptions } from '../metrics/server-metrics.js';
import { handleClientError } from './internal/handle-client-error.js';
import { registerBodyParsers } from './internal/register-body-parsers.js';
import { SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY } from './internal/security-headers.js';
import { sendAuthServerError } from './internal/send-auth-server-error.js';
import type { ServerContext } from './internal/server-context.js';
import { StoreCache } from './internal/store-cache.js';
import { toAuthServerError } from './internal/to-auth-server-error.js';
import { createTokenAudit } from './internal/token-audit.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerIntrospectionRoute } from './routes/introspection-route.js';
import { JWKS_PATH, registerJwksRoute } from './routes/jwks-route.js';
import { registerMetadataRoute } from './routes/metadata-route.js';
import { registerRevocationRoute } from './routes/revocation-route.js';
import { registerRevocationsRoute } from './routes/revocations-route.js';
import { registerTokenRoute, TOKEN_PATH } from './routes/token-route.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_JWKS_MAX_AGE_SEC,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_METADATA_MAX_AGE_SEC,
  DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './server-defaults.js';

/** Pino options accepted by Fastify's `logger` option. */
export type ServerLoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** An opened store (`openStore`); the server never closes it. */
  store: Store;
  /**
   * Issuer identifier (RFC 8414 §2): an http(s) URL without query or fragment, written verbatim as
   * the tokens' `iss` and the metadata's `issuer`; endpoint URLs are built on it. Its path, if
   * any, is where every endpoint is served (segments of letters, digits, `-`, `.`, `_`, `~`).
   */
  issuer: string;
  /**
   * `false` (default): no logs. `true`: pino at `info` on stdout. Pino options, or a pino logger
   * instance. Requests are not logged one by one, but every token request is an audit event: an
   * `info` line `{"audit": {...}, "msg": "token issued" | "token request refused"}` (time,
   * client_id, audience, scopes, jti, source address, outcome, reason; never a secret or token).
   * Refusal details at `debug`, failures at `error`.
   */
  logger?: boolean | ServerLoggerOptions | FastifyBaseLogger;
  /**
   * How often to look for changes made by the CLI or other instances, milliseconds.
   * 0: before every token request, so a revocation is effective for the very next request.
   * Default: 0 on SQLite (the check is a local read), 1000 on PostgreSQL (one query per second
   * per instance instead of one per token; changes apply within a second).
   */
  revisionCheckIntervalMs?: number;
  /**
   * `Cache-Control: max-age` of the JWKS, seconds; default 300. Verifiers may keep the key set that
   * long, so a rotation's propagation delay must be at least this.
   */
  jwksMaxAgeSec?: number;
  /** `Cache-Control: max-age` of the RFC 8414 metadata, seconds; default 300. */
  metadataMaxAgeSec?: number;
  /** Largest accepted request body, bytes; default 16384 (token requests are a few hundred). */
  bodyLimitBytes?: number;
  /** Realm of `WWW-Authenticate: Basic` on 401 answers; default `m2m-auth`. */
  realm?: string;
  /**
   * Limits of failed client authentications (429 `temporarily_unavailable` with `Retry-After`),
   * per (client_id, address), per address and per client_id; see `AuthFailureLimitOptions` for
   * the defaults and SECURITY.md for the design. `false` turns limiting off. Default: on.
   */
  authFailureLimit?: AuthFailureLimitOptions | false;
  /**
   * Also write audit events to the store's audit table (`m2m-auth audit tail` reads it), in
   * batches, purging events older than the retention period (default 30 days). `true` for the
   * defaults, or `AuditStoreOptions`. Default: off (audit events are still logged).
   */
  auditStore?: AuditStoreOptions | boolean;
  /**
   * Time allowed to receive a whole request, milliseconds; default 10000. A slower request gets a
   * 408 JSON answer and its connection is closed.
   */
  requestTimeoutMs?: number;
  /** Largest accepted request head (request line and headers), bytes; default 8192. Larger: 431. */
  maxHeaderBytes?: number;
  /**
   * Which proxies' `X-Forwarded-For` to believe for the source address (limits and audit), as in
   * Fastify's `trustProxy`: `true`, or addresses/CIDRs (comma-separated string or list). Default: none (the socket's
   * peer address). Set it behind a load balancer, or every caller shares the balancer's address.
   */
  trustProxy?: boolean | string | string[];
  /**
   * Rules of `private_key_jwt` client assertions (RFC 7523 §2.2); see `ClientAssertionSettings`
   * (defaults: lifetime ≤ 60 s, 10 s clock tolerance, token endpoint URL accepted as `aud`, 10000
   * unexpired jtis per client).
   */
  clientAssertion?: Partial<ClientAssertionSettings>;
  /**
   * Where clients registered with a `jwks_uri` may have their keys: `allowedHosts` (`host` or
   * `host:port`; default none, so no jwks_uri is fetched), `timeoutMs` (3000), `maxBytes` (65536),
   * `maxAgeSec` (300), `cooldownSec` (30, shortest time between two fetches of one URL).
   */
  clientJwksUri?: ConstructorParameters<typeof ClientJwksCache>[0];
  /**
   * Prometheus metrics (METRICS.md), exposed by the admin listener's `GET /metrics`: `true`, or
   * {@link ServerMetricsOptions}. Default: off (startServer turns them on with an admin listener).
   */
  metrics?: ServerMetricsOptions | boolean;
}

/** Every option name of {@link BuildServerOptions}; another one is refused (a typo keeps no default silently). */
export const BUILD_SERVER_OPTION_NAMES = [
  'store',
  'issuer',
  'logger',
  'revisionCheckIntervalMs',
  'jwksMaxAgeSec',
  'metadataMaxAgeSec',
  'bodyLimitBytes',
  'realm',
  'authFailureLimit',
  'auditStore',
  'requestTimeoutMs',
  'maxHeaderBytes',
  'trustProxy',
  'clientAssertion',
  'clientJwksUri',
  'metrics',
] as const satisfies readonly (keyof BuildServerOptions)[];

// Fails to compile when BuildServerOptions gains an option the list above lacks.
type UnlistedBuildServerOption = Exclude<
  keyof BuildServerOptions,
  (typeof BUILD_SERVER_OPTION_NAMES)[number]
>;
const everyBuildServerOptionListed: [UnlistedBuildServerOption] extends [never]
  ? true
  : UnlistedBuildServerOption = true;
void everyBuildServerOptionListed;

/**
 * Builds the authorization server as a Fastify app, without listening: `POST /oauth/token`
 * (RFC 6749 §4.4, tokens per RFC 9068), `GET /.well-known/oauth-authorization-server` (RFC 8414),
 * `GET /.well-known/jwks.json` (RFC 7517), `POST /oauth/introspect` (RFC 7662), `POST /oauth/revoke`
 * (RFC 7009), `GET /revocations` (the revocation feed verifiers poll) and `GET /healthz`. Every
 * error is RFC 6749 §5.2 JSON.
 *
 * An issuer with a path (`https://auth.example/tenant1`, e.g. behind a reverse proxy that routes
 * by path) serves every endpoint under that path (`/tenant1/oauth/token`, …), and the metadata
 * also at its RFC 8414 §3 location, `/.well-known/oauth-authorization-server/tenant1`;
 * `/healthz` answers at both places (it is about the instance, not the issuer).
 *
 * Clients and keys are cached in memory and reloaded when `store.revision()` moves; issuing a token
 * writes nothing to the store.
 *
 * @param options - see {@link BuildServerOptions}.
 * @returns the Fastify instance; call `listen()` (or use `startServer`), or `inject()` in tests.
 * Hardening (SECURITY.md): failed client authentications are limited (429), request size, head
 * size, parameter count and receive time are bounded, every response carries security headers
 * and no CORS or banner header, and every token request is an audit event.
 *
 * @throws TypeError on a misused option (bad issuer URL, negative durations, bad limits).
 *
 * @example
 * ```ts
 * const store = await openStore({ databaseUrl: 'sqlite:./data/m2m-auth.db' });
 * const app = buildServer({ store, issuer: 'http://127.0.0.1:8080' });
 * await app.listen({ port: 8080, host: '127.0.0.1' });
 * ```
 */
export function buildServer(options: BuildServerOptions): FastifyInstance {
  return createServerApp(options).app;
}

/**
 * buildServer with access to the shared context (internal: startServer sets the issuer once the
 * port is known).
 */
export function createServerApp(options: BuildServerOptions): {
  app: FastifyInstance;
  context: ServerContext;
} {
  rejectUnknownOptions('buildServer', options, BUILD_SERVER_OPTION_NAMES);
  const settings = resolveSettings(options);
  const authFailureLimiter =
    options.authFailureLimit === false
      ? undefined
      : new AuthFailureLimiter(options.authFailureLimit ?? {});
  const requestTimeoutMs = settings.requestTimeoutMs;
  const app = Fastify({
    ...loggerOptions(options.logger),
    bodyLimit: settings.bodyLimitBytes,
    // Per-request info lines cost time on the hot path and say nothing an audit line won't.
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler: handleClientError,
    return503OnClosing: true,
    requestTimeout: requestTimeoutMs,
    http: {
      maxHeaderSize: settings.maxHeaderBytes,
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node checks request timeouts on this interval (default 30 s): keep it well under the timeout.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    },
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  const cache = new StoreCache(options.store, {
    revisionCheckIntervalMs: settings.revisionCheckIntervalMs,
    logger: app.log,
    // The cache only reads; due key transitions are applied here, by the keys' own runner.
    keyTransitions: new DueKeyTransitions(options.store.keys, app.log),
  });
  const auditWriter =
    options.auditStore === undefined || options.auditStore === false
      ? undefined
      : new AuditWriter(
          options.store.audit,
          options.auditStore === true ? {} : options.auditStore,
          app.log,
        );
  const context: ServerContext = {
    cache,
    store: options.store,
    issuer: settings.issuer,
    basePath: issuerPath(settings.issuer),
    realm: settings.realm,
    jwksMaxAgeSec: settings.jwksMaxAgeSec,
    metadataMaxAgeSec: settings.metadataMaxAgeSec,
    authFailureLimiter,
    audit: createTokenAudit(options.logger !== undefined && options.logger !== false, auditWriter),
    clientAssertion: {
      settings: settings.clientAssertion,
      jwks: new ClientJwksCache(options.clientJwksUri ?? { allowedHosts: [] }),
      jtis: options.store.assertionJtis,
      trust: options.store.trust,
    },
    draining: false,
    metrics:
      options.metrics === undefined || options.metrics === false
        ? undefined
        : new ServerMetrics(
            { store: options.store, cache, auditWriter },
            options.metrics === true ? {} : options.metrics,
          ),
    tokenRequestFacts: new WeakMap(),
    legacySecretVerifications: { succeeded: 0, failed: 0 },
  };
  const { metrics } = context;
  /** The refusal sent for a request, for the metrics hook. */
  const refusals = new WeakMap<object, AuthServerError>();
  if (metrics !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url;
      if (route === context.basePath + TOKEN_PATH && request.method === 'POST') {
        metrics.tokenRequest(
          reply.elapsedTime / 1000,
          refusals.get(request),
          context.tokenRequestFacts.get(request),
        );
      } else if (route === context.basePath + JWKS_PATH && request.method === 'GET') {
        metrics.jwksRequest(reply.statusCode);
      }
      done();
    });
  }

  app.addHook('onReady', async () => {
    await cache.start();
    auditWriter?.start();
  });
  app.addHook('onClose', async () => {
    await cache.stop();
    await auditWriter?.close();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (context.issuer.startsWith('https:')) {
      reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
    }
    done(null, payload);
  });
  registerBodyParsers(app);
  app.setErrorHandler((err, request, reply) => {
    const error = toAuthServerError(err);
    if (metrics !== undefined) {
      refusals.set(request, error);
      if (error.code === 'ERR_STORE_UNAVAILABLE') metrics.databaseErrorOnRequest();
    }
    if (request.method === 'POST' && request.routeOptions.url === context.basePath + TOKEN_PATH) {
      context.audit.refused(request, error, context.tokenRequestFacts.get(request));
    }
    return sendAuthServerError(request, reply, error, context.realm);
  });
  app.setNotFoundHandler((request, reply) =>
    sendAuthServerError(request, reply, new AuthServerError('ERR_NOT_FOUND'), context.realm),
  );
  registerTokenRoute(app, context);
  registerMetadataRoute(app, context);
  registerJwksRoute(app, context);
  registerRevocationsRoute(app, context);
  registerIntrospectionRoute(app, context);
  registerRevocationRoute(app, context);
  registerHealthRoute(app, context);
  return { app, context };
}

interface Settings {
  issuer: string;
  revisionCheckIntervalMs: number;
  jwksMaxAgeSec: number;
  metadataMaxAgeSec: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
  realm: string;
  clientAssertion: ClientAssertionSettings;
}

function resolveSettings(options: BuildServerOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('buildServer: options are required');
  }
  const { store } = options;
  if (typeof store?.revision !== 'function' || typeof store.clients !== 'object') {
    throw new TypeError('buildServer: options.store must be an opened Store (openStore)');
  }
  const realm = options.realm ?? 'm2m-auth';
  if (!/^[\x20-\x7e]*$/.test(realm) || realm.includes('"') || realm.includes('\\')) {
    throw new TypeError('buildServer: options.realm must be printable ASCII without quotes');
  }
  return {
    issuer: validateIssuer(options.issuer),
    revisionCheckIntervalMs: nonNegativeInteger(
      'revisionCheckIntervalMs',
      options.revisionCheckIntervalMs ??
        (store.dialect === 'postgres' ? DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS : 0),
    ),
    jwksMaxAgeSec: nonNegativeInteger(
      'jwksMaxAgeSec',
      options.jwksMaxAgeSec ?? DEFAULT_JWKS_MAX_AGE_SEC,
    ),
    metadataMaxAgeSec: nonNegativeInteger(
      'metadataMaxAgeSec',
      options.metadataMaxAgeSec ?? DEFAULT_METADATA_MAX_AGE_SEC,
    ),
    bodyLimitBytes: nonNegativeInteger(
      'bodyLimitBytes',
      options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    ),
    requestTimeoutMs: positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ),
    maxHeaderBytes: positiveInteger(
      'maxHeaderBytes',
      options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    ),
    realm,
    clientAssertion: resolveClientAssertion(options.clientAssertion),
  };
}

function resolveClientAssertion(
  given: Partial<ClientAssertionSettings> | undefined,
): ClientAssertionSettings {
  const known = new Set(Object.keys(DEFAULT_CLIENT_ASSERTION_SETTINGS));
  for (const key of Object.keys(given ?? {})) {
    if (!known.has(key)) throw new TypeError(`buildServer: unknown option clientAssertion.${key}`);
  }
  const merged = { ...DEFAULT_CLIENT_ASSERTION_SETTINGS, ...given };
  positiveInteger('clientAssertion.maxLifetimeSec', merged.maxLifetimeSec);
  nonNegativeInteger('clientAssertion.clockToleranceSec', merged.clockToleranceSec);
  positiveInteger('clientAssertion.maxJtisPerClient', merged.maxJtisPerClient);
  if (typeof merged.acceptTokenEndpointAudience !== 'boolean') {
    throw new TypeError(
      'buildServer: options.clientAssertion.acceptTokenEndpointAudience must be a boolean',
    );
  }
  return merged;
}

/**
 * Checks an issuer identifier (RFC 8414 §2: a URL with no query or fragment). Plain http is
 * accepted for loopback and private deployments behind TLS termination.
 *
 * @throws TypeError when it is not such a URL.
 */
export function validateIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string' || issuer === '') {
    throw new TypeError('issuer must be a non-empty URL string');
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`issuer is not a valid URL: ${issuer}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`issuer must be an http(s) URL: ${issuer}`);
  }
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new TypeError(`issuer must not have a query or fragment (RFC 8414 §2): ${issuer}`);
  }
  const path = issuerPath(issuer);
  if (path !== '' && !ISSUER_PATH.test(path)) {
    throw new TypeError(
      `issuer path ${JSON.stringify(path)} must be segments of letters, digits, "-", ".", "_" or "~" separated by single "/": every endpoint is served under it, matched literally: ${issuer}`,
    );
  }
  return issuer;
}

/** An issuer path the router matches literally: unreserved characters (RFC 3986 §2.3) in segments. */
const ISSUER_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * The path of an issuer identifier without trailing slashes (`http://h/tenant1/` → `/tenant1`),
 * '' when it has none. Endpoints are served under it, and the metadata also at the RFC 8414 §3
 * location, `/.well-known/oauth-authorization-server` followed by this path.
 */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/+$/, '');
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`buildServer: options.${name} must be a non-negative integer`);
  }
  return value;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`buildServer: options.${name} must be a positive integer`);
  }
  return value;
}

function loggerOptions(
  logger: BuildServerOptions['logger'],
): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === undefined || logger === false) return { logger: false };
  if (logger === true) return { logger: { level: 'info' } };
  if (isLoggerInstance(logger)) return { loggerInstance: logger };
  return { logger };
}

function isLoggerInstance(value: object): value is FastifyBaseLogger {
  const candidate = value as Partial<FastifyBaseLogger>;
  return typeof candidate.child === 'function' && typeof candidate.info === 'function';
}
