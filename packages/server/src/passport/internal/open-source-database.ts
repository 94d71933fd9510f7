import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { PassportImportError } from '../passport-import-error.js';

/** The Laravel database, opened read-only where the driver allows it. */
export interface SourceDatabase {
  readonly dialect: 'mysql' | 'postgres' | 'sqlite';
  // biome-ignore lint/suspicious/noExplicitAny: the Laravel schema is read by introspection.
  readonly db: Kysely<any>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens Laravel's database from a URL: `mysql://` or `mariadb://` (mysql2), `postgres://` or
 * `postgresql://` (pg), `sqlite:<path>` (better-sqlite3, read-only, the file must exist).
 *
 * @throws {PassportImportError} `ERR_SOURCE_URL_INVALID`, `ERR_SOURCE_UNREACHABLE` (SQLite file missing).
 */
export async function openSourceDatabase(url: string): Promise<SourceDatabase> {
  const scheme = /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const parsed = parseUrl(url);
    const { createPool } = await import('mysql2');
    const pool = createPool({
      host: parsed.hostname,
      port: parsed.port === '' ? 3306 : Number(parsed.port),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      connectionLimit: 2,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...socketOf(parsed),
    });
    return { dialect: 'mysql', db: new Kysely({ dialect: new MysqlDialect({ pool }) }) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    parseUrl(url);
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    pool.on('error', () => {});
    return { dialect: 'postgres', db: new Kysely({ dialect: new PostgresDialect({ pool }) }) };
  }
  if (scheme === 'sqlite') {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw invalidUrl();
    const { default: Database } = await import('better-sqlite3');
    let database: InstanceType<typeof Database>;
    try {
      database = new Database(path, { readonly: true, fileMustExist: true });
    } catch (cause) {
      throw new PassportImportError(
        'ERR_SOURCE_UNREACHABLE',
        `cannot open the SQLite database ${path}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return { dialect: 'sqlite', db: new Kysely({ dialect: new SqliteDialect({ database }) }) };
  }
  throw invalidUrl();
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw invalidUrl();
  }
}

/** `?socket=/path` (a MariaDB reached by its Unix socket instead of a port). */
function socketOf(url: URL): { socketPath?: string } {
  const socket = url.searchParams.get('socket');
  return socket === null ? {} : { socketPath: socket };
}

function invalidUrl(): PassportImportError {
  return new PassportImportError(
    'ERR_SOURCE_URL_INVALID',
    'the Laravel database URL must be mysql://user:pass@host:3306/db (or mariadb://), postgres://user:pass@host:5432/db or sqlite:/path/to/database.sqlite',
  );
}
