import type { FastifyInstance } from 'fastify';
import { type OpenStoreOptions, openStore } from '../app/open-store.js';
import type { Store } from '../app/store.js';
import { rejectUnknownOptions } from '../internal/reject-unknown-options.js';
import type { SigningKeyRecord } from '../keys/key-store.js';
import {
  checkPostgresPoolOptions,
  type PostgresPoolOptions,
} from '../store/internal/open-postgres.js';
import { StoreError } from '../store/store-error.js';
import type { SigningAlg } from '../tokens/token-types.js';
import { createAdminApp } from './build-admin-server.js';
import {
  BUILD_SERVER_OPTION_NAMES,
  type BuildServerOptions,
  createServerApp,
  validateIssuer,
} from './build-server.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './server-defaults.js';

/** Options of {@link startServer}: buildServer's, plus where to listen and which store to use. */
export interface StartServerOptions extends Omit<BuildServerOptions, 'store' | 'issuer'> {
  /** An opened store to serve; it is left open by `close()`. Give this or `databaseUrl`. */
  store?: Store;
  /** Database to open (e.g. `sqlite:./data/m2m-auth.db`); closed again by `close()`. */
  databaseUrl?: string;
  /** Key-encryption key for a store opened from `databaseUrl` (see `openStore`); default `M2M_AUTH_KEK`. */
  kek?: OpenStoreOptions['kek'];
  /**
   * PostgreSQL pool of a store opened from `databaseUrl`: size and timeouts (see
   * {@link PostgresPoolOptions} for the defaults). A connection the server drops while idle
   * (restart, failover) is logged at `warn` and replaced on next use.
   */
  pool?: PostgresPoolOptions;
  /** TCP port; default 8080; 0 picks a free port (see `url` in the result). */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Issuer identifier (RFC 8414 §2); default `http://<host>:<port>` with the port actually bound. */
  issuer?: string;
  /**
   * When the store has no active signing key: generate one with this algorithm (default `RS256`,
   * what Laravel Passport and PHP libraries verify), or `false` to start without one (token
   * requests then fail with `ERR_NO_SIGNING_KEY` until a key is added).
   */
  generateKeyIfMissing?: SigningAlg | false;
  /**
   * TCP port of the admin listener (`/livez`, `/readyz`, metrics, the admin API), apart from the
   * public one; 0 picks a free port. Default: no admin listener.
   */
  adminPort?: number;
  /** Interface of the admin listener; default `127.0.0.1` (keep it off the callers' network). */
  adminHost?: string;
}

/** A listening authorization server. */
export interface RunningServer {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Issuer identifier written into tokens and metadata. */
  issuer: string;
  /** The Fastify app. */
  app: FastifyInstance;
  /** Base URL of the admin listener, when `adminPort` was given. */
  adminUrl: string | undefined;
  /** The admin listener's Fastify app, when `adminPort` was given. */
  adminApp: FastifyInstance | undefined;
  /**
   * Marks the instance as shutting down: `/readyz` answers 503 `draining` from now on, while both
   * listeners still accept (call it, wait for load balancers to notice, then `close()`).
   */
  drain(): void;
  /** The store being served. */
  store: Store;
  /** The signing key generated at start because the store had none, if any. */
  generatedKey: SigningKeyRecord | undefined;
  /** Stops accepting connections, lets in-flight requests finish, and closes an owned store. */
  close(): Promise<void>;
}

/** Every option name of {@link StartServerOptions}. */
const START_SERVER_OPTION_NAMES: readonly string[] = [
  ...BUILD_SERVER_OPTION_NAMES,
  'databaseUrl',
  'kek',
  'pool',
  'port',
  'host',
  'generateKeyIfMissing',
  'adminPort',
  'adminHost',
] satisfies readonly (keyof StartServerOptions)[];

/**
 * Opens the store if needed, makes sure a signing key exists, builds the server and listens.
 * For the CLI (`m2m-auth serve`), the demo, benchmarks and tests.
 *
 * @param options - see {@link StartServerOptions}; `port` default 8080, `host` default 127.0.0.1.
 * @returns the running server with its URL and a `close()`.
 * @throws TypeError on misused options; `StoreError` from `openStore` (`ERR_INVALID_DATABASE_URL`,
 *   `ERR_DATABASE_ERROR`, `ERR_INVALID_KEK`, …); the listen error (`EADDRINUSE`, …).
 *
 * @example
 * ```ts
 * const server = await startServer({ databaseUrl: 'sqlite:./data/m2m-auth.db', port: 0 });
 * const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
 * await server.close();
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  rejectUnknownOptions('startServer', options, START_SERVER_OPTION_NAMES);
  const {
    store: givenStore,
    databaseUrl,
    kek,
    pool,
    port = 8080,
    host = '127.0.0.1',
    issuer,
    generateKeyIfMissing = 'RS256',
    adminPort,
    adminHost = '127.0.0.1',
    ...serverOptions
  } = options;
  if ((givenStore === undefined) === (databaseUrl === undefined)) {
    throw new TypeError('startServer: give exactly one of options.store and options.databaseUrl');
  }
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('startServer: options.port must be an integer from 0 to 65535');
  }
  if (issuer !== undefined) validateIssuer(issuer);
  if (
    adminPort !== undefined &&
    (!Number.isSafeInteger(adminPort) || adminPort < 0 || adminPort > 65535)
  ) {
    throw new TypeError('startServer: options.adminPort must be an integer from 0 to 65535');
  }
  if (pool !== undefined) {
    if (givenStore !== undefined) {
      throw new TypeError('startServer: options.pool applies to a store opened from databaseUrl');
    }
    checkPostgresPoolOptions(pool);
  }

  // The logger exists only once the app is built; until then a dropped idle connection (rare in
  // the few milliseconds of startup) is not worth reporting.
  let onPoolError = (_err: Error): void => {};
  const store =
    givenStore ??
    (await openStore({
      databaseUrl: databaseUrl as string,
      ...(kek === undefined ? {} : { kek }),
      ...(pool === undefined ? {} : { pool }),
      onPoolError: (err) => onPoolError(err),
    }));
  const ownsStore = givenStore === undefined;
  try {
    let generatedKey: SigningKeyRecord | undefined;
    if (generateKeyIfMissing !== false && (await store.keys.active()) === undefined) {
      try {
        generatedKey = await store.keys.generate(generateKeyIfMissing, { state: 'active' });
      } catch (err) {
        // Another instance starting at the same moment made its key active first (the database
        // allows one): serve that one rather than leave a second key waiting as `next`.
        if (!(err instanceof StoreError && err.code === 'ERR_ACTIVE_KEY_EXISTS')) throw err;
      }
    }
    const { app, context } = createServerApp({
      ...serverOptions,
      // The admin listener is where metrics are read: on with it unless turned off.
      metrics: serverOptions.metrics ?? adminPort !== undefined,
      store,
      // With port 0 the real port is known after listen(); nobody can reach the server before.
      issuer: issuer ?? `http://${hostForUrl(host)}:${port}`,
    });
    onPoolError = (err) =>
      app.log.warn(
        { err },
        'an idle PostgreSQL connection failed; the pool replaces it on next use',
      );
    const adminApp =
      adminPort === undefined
        ? undefined
        : createAdminApp(context, {
            logger: app.log,
            requestTimeoutMs: serverOptions.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
            store,
          });
    try {
      await app.listen({ port, host });
      if (adminApp !== undefined) await adminApp.listen({ port: adminPort, host: adminHost });
    } catch (err) {
      await app.close();
      await adminApp?.close();
      throw err;
    }
    const adminAddress = adminApp?.server.address();
    const adminUrl =
      typeof adminAddress === 'object' && adminAddress !== null
        ? `http://${hostForUrl(adminHost)}:${adminAddress.port}`
        : undefined;
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    const url = `http://${hostForUrl(host)}:${boundPort}`;
    context.issuer = issuer ?? url;
    let closing: Promise<void> | undefined;
    return {
      url,
      issuer: context.issuer,
      app,
      adminUrl,
      adminApp,
      store,
      generatedKey,
      drain() {
        context.draining = true;
      },
      close() {
        context.draining = true;
        closing ??= (async () => {
          try {
            // The public listener first: the admin one keeps answering /readyz (503 draining)
            // while in-flight token requests finish.
            await app.close();
          } finally {
            try {
              await adminApp?.close();
            } finally {
              if (ownsStore) await store.close();
            }
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    if (ownsStore) await store.close().catch(() => {});
    throw err;
  }
}

/** `::1` → `[::1]`; names and IPv4 addresses as they are. */
function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
