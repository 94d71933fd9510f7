import { existsSync, realpathSync } from 'node:fs';
import { Kysely, sql } from 'kysely';
import { createAuditStore } from '../audit/kysely-audit-store.js';
import { createAssertionJtiStore } from '../clients/kysely-assertion-jti-store.js';
import { createClientStore } from '../clients/kysely-client-store.js';
import { createTrustStore } from '../clients/kysely-trust-store.js';
import { readMaxClientTokenTtlSec } from '../clients/max-client-token-ttl.js';
import { readClientsRevokedSince } from '../clients/read-revoked-clients.js';
import { rejectUnknownOptions } from '../internal/reject-unknown-options.js';
import {
  createKeyEncryptionKeySource,
  explicitKeyEncryptionKey,
} from '../keys/key-encryption-key-source.js';
import type { KeyStoreContext } from '../keys/key-store-context.js';
import { createKeyStore } from '../keys/kysely-key-store.js';
import { createRevocationStore } from '../revocations/kysely-revocation-store.js';
import type { Database } from '../store/internal/database.js';
import { parseDatabaseUrl } from '../store/internal/database-url.js';
import { hasPostgresStoreSchema } from '../store/internal/has-store-schema.js';
import { withInProcessLock } from '../store/internal/in-process-lock.js';
import { createLeaseStore } from '../store/internal/kysely-lease-store.js';
import { openPostgres, type PostgresPoolOptions } from '../store/internal/open-postgres.js';
import { type OpenedSqlite, openSqlite } from '../store/internal/open-sqlite.js';
import { createRevisionReader } from '../store/internal/revision-reader.js';
import { migrateToLatest } from '../store/migrations/migrate-to-latest.js';
import { StoreError } from '../store/store-error.js';
import type { Store } from './store.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * `sqlite:./data/m2m-auth.db` (relative to the working directory), `sqlite:/abs/path.db`,
   * `sqlite::memory:`, or `postgres://user:pass@host:5432/db` (also `postgresql://`).
   */
  databaseUrl: string;
  /**
   * Key-encryption key: 32 bytes, or their base64. Default: `M2M_AUTH_KEK` from `env`; without it,
   * on SQLite a key file `<database>.kek` (mode 0600) is read, with a warning, or created when the
   * database holds no encrypted key yet (else key operations fail with `ERR_KEK_REQUIRED`, naming the
   * variable and the file); on PostgreSQL key operations fail with `ERR_KEK_REQUIRED`. Every write of a
   * key first proves that the key decrypts the keys already stored (`ERR_KEK_MISMATCH` otherwise).
   */
  kek?: string | Uint8Array;
  /** Environment to read `M2M_AUTH_KEK` from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives one-line warnings; default: printed to stderr as `m2m-auth: warning: …`. */
  warn?: (message: string) => void;
  /** Clock, Unix seconds; default `Math.floor(Date.now() / 1000)` (so fake timers apply). */
  now?: () => number;
  /** SQLite: how long a writer waits for another, milliseconds; default 5000. */
  busyTimeoutMs?: number;
  /** PostgreSQL pool settings. */
  pool?: PostgresPoolOptions;
  /** Called when an idle PostgreSQL connection fails (e.g. server restart); default: ignored. */
  onPoolError?: (err: Error) => void;
  /** Run migrations at open; default true. */
  migrate?: boolean;
  /**
   * Refuse a database that does not exist yet instead of creating it (commands that only read):
   * a SQLite file that is not there, a PostgreSQL database without m2m-auth's tables. Default false.
   */
  mustExist?: boolean;
}

/** Every option {@link openStore} takes: another name is a misspelling and a TypeError. */
const OPEN_STORE_OPTION_NAMES = [
  'databaseUrl',
  'kek',
  'env',
  'warn',
  'now',
  'busyTimeoutMs',
  'pool',
  'onPoolError',
  'migrate',
  'mustExist',
] as const satisfies readonly (keyof OpenStoreOptions)[];

/**
 * Opens the store — clients and signing keys — on SQLite or PostgreSQL, and brings the schema up
 * to date (safe when several processes open it at once). Close it with `store.close()`.
 *
 * @throws {StoreError} `ERR_INVALID_DATABASE_URL`, `ERR_INVALID_KEK` (a malformed `M2M_AUTH_KEK` fails
 *   here, not at first use), `ERR_DATABASE_NOT_FOUND` (with `mustExist`), `ERR_DATABASE_ERROR` (cannot
 *   open or connect), `ERR_MIGRATION_FAILED`
 * @throws TypeError for a missing `databaseUrl` or an option name it does not take (a misspelling)
 * @example
 * ```ts
 * const store = await openStore({ databaseUrl: 'sqlite:./data/m2m-auth.db' });
 * try {
 *   const { client, clientSecret } = await store.clients.create({ name: 'ms_admin', audiences: ['ms_doctor'] });
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('openStore: options must be an object with a databaseUrl');
  }
  rejectUnknownOptions('openStore', options, OPEN_STORE_OPTION_NAMES);
  if (typeof options.databaseUrl !== 'string') {
    throw new TypeError('openStore: databaseUrl must be a string (sqlite:<file> or postgres://…)');
  }
  const location = parseDatabaseUrl(options.databaseUrl);
  const env = options.env ?? process.env;
  const warn =
    options.warn ?? ((message: string) => process.stderr.write(`m2m-auth: warning: ${message}\n`));
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  // A malformed M2M_AUTH_KEK fails here, at open, not at first use.
  const explicitKek = explicitKeyEncryptionKey(options.kek, env);

  if (
    options.mustExist === true &&
    location.dialect === 'sqlite' &&
    location.path !== ':memory:' &&
    !existsSync(location.path)
  ) {
    throw new StoreError(
      'ERR_DATABASE_NOT_FOUND',
      `there is no SQLite database at ${location.path}`,
    );
  }

  let db: Kysely<Database>;
  let sqliteDatabase: OpenedSqlite['database'] | undefined;
  try {
    if (location.dialect === 'sqlite') {
      const opened = await openSqlite(location.path, options.busyTimeoutMs ?? 5_000);
      sqliteDatabase = opened.database;
      db = new Kysely<Database>({ dialect: opened.dialect });
    } else {
      const { dialect } = await openPostgres(
        location.connectionString,
        options.pool ?? {},
        options.onPoolError ?? (() => {}),
      );
      db = new Kysely<Database>({ dialect });
    }
  } catch (cause) {
    throw databaseError(location, cause);
  }

  try {
    await sql`select 1`.execute(db);
  } catch (cause) {
    await db.destroy().catch(() => {});
    throw databaseError(location, cause);
  }
  if (options.mustExist === true && location.dialect === 'postgres') {
    if (!(await hasPostgresStoreSchema(db))) {
      await db.destroy().catch(() => {});
      throw new StoreError(
        'ERR_DATABASE_NOT_FOUND',
        'the PostgreSQL database holds no m2m-auth tables (run m2m-auth migrate to create them)',
      );
    }
  }
  const lockKey =
    location.dialect === 'sqlite' && location.path !== ':memory:'
      ? `sqlite:${realpathSync(location.path)}`
      : undefined;
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> =>
    lockKey === undefined ? fn() : withInProcessLock(lockKey, fn);

  if (options.migrate !== false) {
    try {
      await exclusive(() => migrateToLatest(db));
    } catch (err) {
      await db.destroy().catch(() => {});
      throw err;
    }
  }

  const kek = createKeyEncryptionKeySource({
    db,
    dialect: location.dialect,
    ...(location.dialect === 'sqlite' ? { sqlitePath: location.path } : {}),
    explicitKek,
    warn,
  });
  const ctx: KeyStoreContext = {
    db,
    dialect: location.dialect,
    now,
    exclusive,
    keyEncryptionKey: kek.keyEncryptionKey,
    verifiedKeyEncryptionKey: kek.verifiedKeyEncryptionKey,
    maxTokenTtlSec: readMaxClientTokenTtlSec,
  };

  const readRevision = createRevisionReader(db, sqliteDatabase);

  let closed = false;
  return {
    dialect: location.dialect,
    clients: createClientStore(ctx),
    keys: createKeyStore(ctx),
    audit: createAuditStore(ctx),
    leases: createLeaseStore(ctx),
    assertionJtis: createAssertionJtiStore(ctx),
    trust: createTrustStore(ctx),
    revocations: createRevocationStore({
      ...ctx,
      clientsRevokedSince: (since) => readClientsRevokedSince(db, since),
    }),
    revision: readRevision,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

function databaseError(location: ReturnType<typeof parseDatabaseUrl>, cause: unknown): StoreError {
  const reason =
    cause instanceof AggregateError && cause.errors.length > 0
      ? String((cause.errors[0] as Error).message)
      : cause instanceof Error
        ? cause.message || ((cause as NodeJS.ErrnoException).code ?? cause.name)
        : String(cause);
  // The PostgreSQL URL may hold a password: name the server by kind only.
  const what =
    location.dialect === 'sqlite' ? `SQLite database ${location.path}` : 'PostgreSQL database';
  return new StoreError('ERR_DATABASE_ERROR', `cannot open the ${what}: ${reason}`, { cause });
}
