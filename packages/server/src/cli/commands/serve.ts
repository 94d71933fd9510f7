import { isIP } from 'node:net';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AUDIT_STORE_OPTIONS } from '../../audit/audit-writer.js';
import { DEFAULT_CLIENT_ASSERTION_SETTINGS } from '../../grants/verify-client-assertion.js';
import { validateIssuer } from '../../http/build-server.js';
import {
  DEFAULT_JWKS_MAX_AGE_SEC,
  DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '../../http/server-defaults.js';
import { DEFAULT_PROPAGATION_SEC, propagationPolicy } from '../../keys/key-lifecycle.js';
import { SIGNING_ALGS } from '../../keys/signing-key-pair.js';
import { DEFAULT_AUTH_FAILURE_LIMITS } from '../../limits/auth-failure-limiter.js';
import type { SigningAlg } from '../../tokens/token-types.js';
import { CliError } from '../internal/cli-error.js';
import { parseDuration, parseList, parseSeconds } from '../internal/option-parsers.js';
import { examples } from '../internal/output.js';
import { addPoolOptions, type PoolFlags, poolOptionsOf } from '../internal/pool-options.js';
import { addStoreOptions, newSqliteFile, storeOptionsOf } from '../internal/store-options.js';

/** How long a graceful shutdown waits for in-flight requests before closing connections, ms. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

interface ServeOptions extends PoolFlags {
  port: number;
  host: string;
  issuer?: string;
  alg: SigningAlg;
  jwksMaxAge: number;
  revisionCheckInterval?: number;
  logLevel: string;
  auditStore?: boolean;
  auditRetention: number;
  authFailureLimit: boolean;
  authFailureWindow: number;
  authFailureBlock: number;
  maxFailuresPerClientAddress: number;
  maxFailuresPerAddress: number;
  maxFailuresPerClient: number;
  trustProxy?: string[];
  requestTimeout: number;
  shutdownTimeout: number;
  /** --rotate-every, seconds. */
  rotateEvery?: number;
  /** --propagation, seconds. */
  propagation?: number;
  /** --publish-keys: folder kept holding jwks.json and oauth-public.key. */
  publishKeys?: string;
  assertionMaxLifetime: number;
  assertionAudience: 'issuer' | 'issuer-or-token-endpoint';
  jwksUriAllowedHosts?: string[];
  adminPort?: number;
  adminHost: string;
  /** --drain-delay, ms. */
  drainDelay: number;
  metricsClientId?: boolean;
}

/**
 * Registers `m2m-auth serve`: opens the store, generates an RS256 signing key when there is none
 * (and says so), listens, logs with pino (JSON lines on stdout, written asynchronously so no
 * request waits for the disk; one audit line per token request), optionally keeps audit events in
 * the database (`--audit-store`), limits failed client authentications, and shuts down gracefully
 * on SIGINT/SIGTERM (in-flight requests finish within `--shutdown-timeout`, then the store closes).
 */
export function registerServeCommand(program: Command): void {
  addStoreOptions(
    addPoolOptions(
      program
        .command('serve')
        .description(
          'run the authorization server: POST /oauth/token, /.well-known/oauth-authorization-server, /.well-known/jwks.json, /healthz',
        )
        .addOption(
          new Option('--port <port>', 'TCP port (0: any free port)')
            .env('PORT')
            .argParser(parsePort)
            .default(8080),
        )
        .addOption(
          new Option('--host <host>', 'interface to bind').env('HOST').default('127.0.0.1'),
        )
        .addOption(
          new Option(
            '--admin-port <port>',
            'port of the admin listener: /livez, /readyz, /metrics, the admin API (default: none)',
          )
            .env('M2M_AUTH_ADMIN_PORT')
            .argParser(parsePort),
        )
        .addOption(
          new Option('--admin-host <host>', 'interface of the admin listener')
            .env('M2M_AUTH_ADMIN_HOST')
            .default('127.0.0.1'),
        )
        .option(
          '--metrics-client-id',
          `with --admin-port: label token request metrics with the client_id (one series per client) (env: ${BOOLEAN_ENV.metricsClientId}=true|false)`,
        )
        .addOption(
          new Option(
            '--drain-delay <ms>',
            'on SIGTERM/SIGINT, how long /readyz answers 503 "draining" before the public listener stops accepting, ms',
          )
            .env('M2M_AUTH_DRAIN_DELAY_MS')
            .argParser(parseMilliseconds)
            .default(0),
        )
        .addOption(
          new Option(
            '--issuer <url>',
            'issuer identifier written into tokens (default http://<host>:<port>); a path (…/tenant1) serves every endpoint under it',
          ).env('M2M_AUTH_ISSUER'),
        )
        .addOption(
          new Option('--alg <alg>', 'algorithm of the key generated when the database has none')
            .choices(SIGNING_ALGS as string[])
            .env('M2M_AUTH_ALG')
            .default('RS256'),
        )
        .addOption(
          new Option(
            '--jwks-max-age <sec>',
            'Cache-Control max-age of the JWKS, seconds (a key rotation must wait at least this long)',
          )
            .env('M2M_AUTH_JWKS_MAX_AGE')
            .argParser(parseSeconds)
            .default(DEFAULT_JWKS_MAX_AGE_SEC),
        )
        .addOption(
          new Option(
            '--revision-check-interval <ms>',
            `how often to pick up changes made by the CLI or other instances, ms; 0 = before every token request (default: 0 on SQLite, ${DEFAULT_POSTGRES_REVISION_CHECK_INTERVAL_MS} on PostgreSQL)`,
          )
            .env('M2M_AUTH_REVISION_CHECK_INTERVAL_MS')
            .argParser(parseMilliseconds),
        )
        .addOption(
          new Option('--log-level <level>', 'log level')
            .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
            .env('M2M_AUTH_LOG_LEVEL')
            .default('info'),
        )
        .option(
          '--audit-store',
          `also keep audit events in the database (read them with: m2m-auth audit tail) (env: ${BOOLEAN_ENV.auditStore}=true|false)`,
        )
        .addOption(
          new Option(
            '--audit-retention <duration>',
            'how long the database keeps audit events: seconds, or 12h, 30d (older ones are purged hourly)',
          )
            .env('M2M_AUTH_AUDIT_RETENTION')
            .argParser(parseDuration)
            .default(DEFAULT_AUDIT_STORE_OPTIONS.retentionSec),
        )
        .option(
          '--no-auth-failure-limit',
          `do not limit failed client authentications (429); see SECURITY.md (env: ${BOOLEAN_ENV.authFailureLimit}=false)`,
        )
        .addOption(
          new Option(
            '--auth-failure-window <duration>',
            'window in which failed client authentications are counted',
          )
            .env('M2M_AUTH_AUTH_FAILURE_WINDOW')
            .argParser(parseDuration)
            .default(DEFAULT_AUTH_FAILURE_LIMITS.windowSec),
        )
        .addOption(
          new Option(
            '--auth-failure-block <duration>',
            'how long a reached limit refuses requests (429 with Retry-After)',
          )
            .env('M2M_AUTH_AUTH_FAILURE_BLOCK')
            .argParser(parseDuration)
            .default(DEFAULT_AUTH_FAILURE_LIMITS.blockSec),
        )
        .addOption(
          new Option(
            '--max-failures-per-client-address <n>',
            'failed authentications of one client_id from one address per window',
          )
            .env('M2M_AUTH_MAX_FAILURES_PER_CLIENT_ADDRESS')
            .argParser(parseCount)
            .default(DEFAULT_AUTH_FAILURE_LIMITS.maxPerClientAndAddress),
        )
        .addOption(
          new Option(
            '--max-failures-per-address <n>',
            'failed authentications from one address per window (clients that authenticated from it are exempt)',
          )
            .env('M2M_AUTH_MAX_FAILURES_PER_ADDRESS')
            .argParser(parseCount)
            .default(DEFAULT_AUTH_FAILURE_LIMITS.maxPerAddress),
        )
        .addOption(
          new Option(
            '--max-failures-per-client <n>',
            'failed authentications of one client_id from all addresses per window (addresses it authenticated from are exempt)',
          )
            .env('M2M_AUTH_MAX_FAILURES_PER_CLIENT')
            .argParser(parseCount)
            .default(DEFAULT_AUTH_FAILURE_LIMITS.maxPerClient),
        )
        .addOption(
          new Option(
            '--trust-proxy <addresses>',
            'proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For gives the source address',
          )
            .env('M2M_AUTH_TRUST_PROXY')
            .argParser(parseList),
        )
        .addOption(
          new Option(
            '--request-timeout <ms>',
            'time allowed to receive a whole request, ms (then 408)',
          )
            .env('M2M_AUTH_REQUEST_TIMEOUT_MS')
            .argParser(parsePositiveMilliseconds)
            .default(DEFAULT_REQUEST_TIMEOUT_MS),
        )
        .addOption(
          new Option(
            '--shutdown-timeout <ms>',
            'on SIGTERM/SIGINT, how long in-flight requests may take before connections are closed, ms',
          )
            .env('M2M_AUTH_SHUTDOWN_TIMEOUT_MS')
            .argParser(parsePositiveMilliseconds)
            .default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
        )
        // private_key_jwt client assertions; see README "Clients without a secret".
        .addOption(
          new Option(
            '--assertion-max-lifetime <sec>',
            'longest accepted client-assertion lifetime (exp - iat), seconds',
          )
            .env('M2M_AUTH_ASSERTION_MAX_LIFETIME')
            .argParser(parsePositiveDuration)
            .default(DEFAULT_CLIENT_ASSERTION_SETTINGS.maxLifetimeSec),
        )
        .addOption(
          new Option(
            '--assertion-audience <which>',
            'aud accepted in client assertions: the issuer only (RFC 7523bis), or also the token endpoint URL (RFC 7523, e.g. Authlib)',
          )
            .choices(['issuer', 'issuer-or-token-endpoint'])
            .env('M2M_AUTH_ASSERTION_AUDIENCE')
            .default('issuer-or-token-endpoint'),
        )
        .addOption(
          new Option(
            '--jwks-uri-allowed-hosts <hosts>',
            'hosts (host or host:port, comma-separated) from which client jwks_uri keys may be fetched; default none',
          )
            .env('M2M_AUTH_JWKS_URI_ALLOWED_HOSTS')
            .argParser(parseList),
        )
        // Scheduled key rotation; see README "Key rotation".
        .addOption(
          new Option(
            '--rotate-every <duration>',
            'rotate the signing key when the active one is this old: seconds, or 90s, 45m, 12h, 30d (run it on every instance: the database lets one act per step)',
          )
            .env('M2M_AUTH_ROTATE_EVERY')
            .argParser(parsePositiveDuration),
        )
        .addOption(
          new Option(
            '--propagation <sec>',
            `with --rotate-every: seconds between publishing the next key and signing with it (default: twice --jwks-max-age, at least ${DEFAULT_PROPAGATION_SEC})`,
          )
            .env('M2M_AUTH_PROPAGATION')
            .argParser(parseSeconds),
        )
        .addOption(
          new Option(
            '--publish-keys <dir>',
            'keep <dir>/jwks.json (every published key: point OAUTH_PUBLIC_KEY_PATH at it) and <dir>/oauth-public.key (the active key) current, written atomically on every key change',
          ).env('M2M_AUTH_PUBLISH_KEYS'),
        ),
    ),
  )
    .addHelpText(
      'after',
      examples(
        'm2m-auth serve',
        'm2m-auth serve --port 9000 --host 0.0.0.0 --issuer https://auth.internal.example',
        'm2m-auth serve --audit-store --audit-retention 30d --trust-proxy 10.0.0.0/8',
        'm2m-auth serve --rotate-every 30d',
        'DATABASE_URL=sqlite:/var/lib/m2m-auth/db.sqlite m2m-auth serve',
        'DATABASE_URL=postgres://m2m@db:5432/m2m_auth M2M_AUTH_KEK=… m2m-auth serve --host 0.0.0.0 --issuer https://auth.internal.example --pg-pool-max 20',
      ),
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const { databaseUrl, json } = storeOptionsOf(cmd);
      applyBooleanEnv(opts, cmd, process.env);
      if (opts.adminPort === undefined && cmd.getOptionValueSource('adminHost') !== 'default') {
        throw new CliError('ERR_CLI_USAGE', '--admin-host applies to --admin-port');
      }
      if (opts.adminPort === undefined && opts.metricsClientId === true) {
        throw new CliError('ERR_CLI_USAGE', '--metrics-client-id applies to --admin-port');
      }
      checkListenOptions(opts);
      const say = (line: string) => {
        // Human lines go to stderr so stdout stays pure JSON log lines for log collectors.
        if (!json) process.stderr.write(`m2m-auth: ${line}\n`);
      };
      if (opts.propagation !== undefined && opts.rotateEvery === undefined) {
        throw new CliError(
          'ERR_CLI_USAGE',
          '--propagation applies to --rotate-every (for a one-off rotation: m2m-auth keys rotate --propagation <sec>)',
        );
      }
      const { propagationSec, warnings } = propagationPolicy({
        ...(opts.rotateEvery === undefined ? {} : { rotateEverySec: opts.rotateEvery }),
        ...(opts.propagation === undefined ? {} : { propagationSec: opts.propagation }),
        jwksMaxAgeSec: opts.jwksMaxAge,
      });
      for (const warning of warnings) say(`warning: ${warning}`);
      if (opts.issuer === undefined && (opts.host === '0.0.0.0' || opts.host === '::')) {
        say(
          `warning: binding ${opts.host} without --issuer; tokens will carry iss http://${opts.host}:…; pass --issuer with the URL callers use`,
        );
      }
      // Loaded here so that the other commands do not pay for loading Fastify at startup.
      const { startServer } = await import('../../http/start-server.js');
      const { startBackgroundJobs } = await import('../../http/start-background-jobs.js');
      const { shutdownOnSignal } = await import('../../http/shutdown-on-signal.js');
      const { pino } = await import('pino');
      // Asynchronous writes: a request never waits for stdout (a pipe or a file) to accept its
      // audit line; the buffer is flushed at shutdown.
      const destination = pino.destination({ dest: 1, sync: false });
      const logger = pino({ level: opts.logLevel }, destination);
      const createdFile = newSqliteFile(databaseUrl);
      const server = await listenOrExplain(opts, () =>
        startServer({
          databaseUrl,
          pool: poolOptionsOf(opts),
          port: opts.port,
          host: opts.host,
          ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }),
          generateKeyIfMissing: opts.alg,
          jwksMaxAgeSec: opts.jwksMaxAge,
          ...(opts.revisionCheckInterval === undefined
            ? {}
            : { revisionCheckIntervalMs: opts.revisionCheckInterval }),
          logger,
          auditStore: opts.auditStore === true ? { retentionSec: opts.auditRetention } : false,
          authFailureLimit:
            opts.authFailureLimit &&
            ({
              windowSec: opts.authFailureWindow,
              blockSec: opts.authFailureBlock,
              maxPerClientAndAddress: opts.maxFailuresPerClientAddress,
              maxPerAddress: opts.maxFailuresPerAddress,
              maxPerClient: opts.maxFailuresPerClient,
            } as const),
          requestTimeoutMs: opts.requestTimeout,
          clientAssertion: {
            maxLifetimeSec: opts.assertionMaxLifetime,
            acceptTokenEndpointAudience: opts.assertionAudience === 'issuer-or-token-endpoint',
          },
          clientJwksUri: { allowedHosts: opts.jwksUriAllowedHosts ?? [] },
          ...(opts.adminPort === undefined
            ? {}
            : {
                adminPort: opts.adminPort,
                adminHost: opts.adminHost,
                metrics: {
                  clientIdLabel: opts.metricsClientId === true,
                  ...(opts.rotateEvery === undefined ? {} : { rotateEverySec: opts.rotateEvery }),
                },
              }),
          ...(opts.trustProxy === undefined ? {} : { trustProxy: opts.trustProxy }),
        }),
      );
      if (createdFile !== undefined) say(`created a new SQLite database at ${createdFile}`);
      let jobs: { stop(): Promise<void> };
      try {
        jobs = await startBackgroundJobs(server, {
          ...(opts.rotateEvery === undefined ? {} : { rotateEverySec: opts.rotateEvery }),
          propagationSec,
          ...(opts.publishKeys === undefined ? {} : { publishKeysDir: opts.publishKeys }),
          say,
        });
      } catch (err) {
        // Only writing the key files fails at this point (the server is then closed).
        if (opts.publishKeys === undefined) throw err;
        const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new CliError(
          'ERR_CLI_FILE_UNWRITABLE',
          `--publish-keys: cannot write the key files in ${opts.publishKeys}: ${reason}`,
          { cause: err },
        );
      }
      server.app.log.info({ url: server.url, issuer: server.issuer }, 'm2m-auth serving');
      say(`listening on ${server.url} (issuer ${server.issuer}); stop with Ctrl-C`);
      if (server.adminUrl !== undefined) {
        server.app.log.info({ adminUrl: server.adminUrl }, 'm2m-auth admin listener');
        say(
          `admin endpoints (/livez, /readyz, /metrics, /admin/v1, the console at /console/) on ${server.adminUrl}`,
        );
      }
      await shutdownOnSignal(server, {
        shutdownTimeoutMs: opts.shutdownTimeout,
        drainDelayMs: opts.drainDelay,
        beforeClose: () => jobs.stop(),
      });
      await new Promise<void>((resolve) => destination.flush(() => resolve()));
      say('stopped');
    });
}

/**
 * Environment variables of the boolean flags. Commander would turn any value of a boolean flag's
 * variable into "on" (even `false`); these are read strictly instead, and a flag on the command
 * line wins.
 */
const BOOLEAN_ENV = {
  auditStore: 'M2M_AUTH_AUDIT_STORE',
  authFailureLimit: 'M2M_AUTH_AUTH_FAILURE_LIMIT',
  metricsClientId: 'M2M_AUTH_METRICS_CLIENT_ID',
} as const satisfies Partial<Record<keyof ServeOptions, string>>;

function applyBooleanEnv(
  opts: ServeOptions,
  cmd: Command,
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const [key, name] of Object.entries(BOOLEAN_ENV) as [keyof typeof BOOLEAN_ENV, string][]) {
    const value = env[name];
    if (value === undefined || cmd.getOptionValueSource(key) === 'cli') continue;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true' || normalized === '1') opts[key] = true;
    else if (normalized === 'false' || normalized === '0') opts[key] = false;
    else throw new CliError('ERR_CLI_USAGE', `${name} must be true or false, not "${value}"`);
  }
}

/** Runs `listen`; a port that is taken or not allowed becomes one readable line. */
async function listenOrExplain<T>(
  opts: Pick<ServeOptions, 'port' | 'host'>,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const failed = err as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
    const code = failed?.code;
    // The listener that failed: the public one or the admin one (Node names it on the error).
    const where =
      failed?.address !== undefined && failed.port !== undefined
        ? `${failed.address}:${failed.port}`
        : `${opts.host}:${opts.port}`;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        'ERR_CLI_USAGE',
        `cannot listen on ${where}: the port is already in use (EADDRINUSE)`,
        {
          cause: err,
        },
      );
    }
    if (code === 'EACCES') {
      throw new CliError('ERR_CLI_USAGE', `cannot listen on ${where}: permission denied (EACCES)`, {
        cause: err,
      });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new CliError(
        'ERR_CLI_USAGE',
        `cannot listen on ${where}: no such local address (${code})`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

function parsePort(value: string): number {
  const port = Number(value.trim());
  if (!/^\d{1,5}$/.test(value.trim()) || port > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  }
  return port;
}

function parsePositiveDuration(value: string): number {
  const sec = parseDuration(value);
  if (sec < 1) throw new InvalidArgumentError('expected a duration of at least 1 second');
  return sec;
}

function parseCount(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value.trim()) < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1');
  }
  return Number(value.trim());
}

function parsePositiveMilliseconds(value: string): number {
  const ms = parseMilliseconds(value);
  if (ms < 1) throw new InvalidArgumentError('expected at least 1 millisecond');
  return ms;
}

function parseMilliseconds(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a whole number of milliseconds, e.g. 1000');
  }
  return Number(value.trim());
}

/** A host name (RFC 1123 labels) that is not a dotted run of digits, which would be a bad IPv4. */
const HOST_NAME =
  /^(?![\d.]+$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Refuses listen options that would fail later with a message naming something else: a host that
 * is neither an IP address nor a host name, an issuer that is not an http(s) URL without query or
 * fragment, a trusted proxy that is not an address, and the admin listener on the public
 * listener's port.
 *
 * @throws {CliError} `ERR_CLI_USAGE`, naming the option.
 */
function checkListenOptions(
  opts: Pick<ServeOptions, 'host' | 'port' | 'issuer' | 'adminPort' | 'adminHost' | 'trustProxy'>,
): void {
  for (const entry of opts.trustProxy ?? []) {
    if (!isProxyAddress(entry)) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `--trust-proxy ${JSON.stringify(entry)} is not an IP address, a CIDR (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`,
      );
    }
  }
  for (const [flag, host] of [
    ['--host', opts.host],
    ['--admin-host', opts.adminHost],
  ] as const) {
    if (host !== undefined && isIP(host) === 0 && !HOST_NAME.test(host)) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `${flag} ${JSON.stringify(host)} is neither an IP address nor a host name`,
      );
    }
  }
  if (opts.issuer !== undefined) {
    try {
      validateIssuer(opts.issuer);
    } catch (err) {
      throw new CliError('ERR_CLI_USAGE', `--issuer: ${(err as Error).message}`);
    }
  }
  if (
    opts.adminPort !== undefined &&
    opts.adminPort !== 0 &&
    opts.adminPort === opts.port &&
    (opts.adminHost ?? '127.0.0.1') === opts.host
  ) {
    throw new CliError(
      'ERR_CLI_USAGE',
      `--admin-port ${opts.adminPort} is also --port: the admin listener needs a port of its own`,
    );
  }
}

/** What Fastify's `trustProxy` (proxy-addr) accepts: an IP, a CIDR or netmask, or a named range. */
function isProxyAddress(entry: string): boolean {
  if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (family === 4 && isIP(prefix) === 4) return true; // a netmask: 10.0.0.0/255.0.0.0
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
