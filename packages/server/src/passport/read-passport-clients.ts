import { openSourceDatabase } from './internal/open-source-database.js';
import { PassportImportError } from './passport-import-error.js';

/** Passport generations, told apart by the columns of `oauth_clients`. */
export type PassportVersion = '10-12' | '13';

/** One `oauth_clients` row, normalized across MySQL/MariaDB, PostgreSQL and SQLite. */
export interface PassportClientRow {
  /** The id as text: `"5"` (10–12) or a UUID (13). */
  id: string;
  name: string;
  /** Plain secret or password hash; null for a public client. */
  secret: string | null;
  revoked: boolean;
  /** 10–12 only. */
  personalAccessClient: boolean;
  /** 10–12 only. */
  passwordClient: boolean;
  /** 13 only: the `grant_types` JSON list; null on 10–12 (or when it is not a JSON list). */
  grantTypes: string[] | null;
}

/** What {@link readPassportClients} found. */
export interface PassportClients {
  version: PassportVersion;
  rows: PassportClientRow[];
}

const V12_COLUMNS = [
  'id',
  'name',
  'secret',
  'revoked',
  'personal_access_client',
  'password_client',
];
const V13_COLUMNS = ['id', 'name', 'secret', 'revoked', 'grant_types'];

/**
 * Reads Laravel Passport's `oauth_clients` table straight from the Laravel database (read only)
 * and tells the Passport generation from its columns: `grant_types` (13.x, UUID ids) or
 * `personal_access_client` + `password_client` (10.x–12.x, integer ids).
 *
 * @param url - `mysql://…`, `mariadb://…`, `postgres://…` or `sqlite:<path>`.
 * @throws {PassportImportError} `ERR_SOURCE_URL_INVALID`, `ERR_SOURCE_UNREACHABLE`, `ERR_SOURCE_NOT_PASSPORT`.
 */
export async function readPassportClients(url: string): Promise<PassportClients> {
  const source = await openSourceDatabase(url);
  try {
    let columns: Set<string>;
    try {
      const tables = await source.db.introspection.getTables();
      const table = tables.find(
        (t) =>
          t.name === 'oauth_clients' &&
          (t.schema === undefined || t.schema !== 'information_schema'),
      );
      if (table === undefined) {
        throw new PassportImportError(
          'ERR_SOURCE_NOT_PASSPORT',
          'the database has no oauth_clients table: is this the Laravel database Passport uses?',
        );
      }
      columns = new Set(table.columns.map((c) => c.name));
    } catch (err) {
      if (err instanceof PassportImportError) throw err;
      throw unreachable(err);
    }
    const version: PassportVersion | undefined = V13_COLUMNS.every((c) => columns.has(c))
      ? '13'
      : V12_COLUMNS.every((c) => columns.has(c))
        ? '10-12'
        : undefined;
    if (version === undefined) {
      throw new PassportImportError(
        'ERR_SOURCE_NOT_PASSPORT',
        `oauth_clients has neither Passport 13 columns (${V13_COLUMNS.join(', ')}) nor Passport 10-12 columns (${V12_COLUMNS.join(', ')})`,
      );
    }
    let raw: Record<string, unknown>[];
    try {
      raw = await source.db
        .selectFrom('oauth_clients')
        .select(version === '13' ? V13_COLUMNS : V12_COLUMNS)
        .orderBy('id')
        .execute();
    } catch (err) {
      throw unreachable(err);
    }
    return { version, rows: raw.map((row) => normalizeRow(row, version)) };
  } finally {
    await source.db.destroy().catch(() => {});
  }
}

function normalizeRow(row: Record<string, unknown>, version: PassportVersion): PassportClientRow {
  return {
    id: String(row['id']),
    name: row['name'] === null ? '' : String(row['name']),
    secret: row['secret'] === null || row['secret'] === '' ? null : String(row['secret']),
    revoked: toBoolean(row['revoked']),
    personalAccessClient: version === '10-12' && toBoolean(row['personal_access_client']),
    passwordClient: version === '10-12' && toBoolean(row['password_client']),
    grantTypes: version === '13' ? parseGrantTypes(row['grant_types']) : null,
  };
}

/** tinyint(1) (MySQL, SQLite) arrives as 0/1, PostgreSQL's boolean as true/false. */
function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return value === '1' || value.toLowerCase() === 'true';
  return false;
}

function parseGrantTypes(value: unknown): string[] | null {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(parsed) || !parsed.every((g) => typeof g === 'string')) return null;
  return parsed;
}

function unreachable(err: unknown): PassportImportError {
  const reason = err instanceof Error ? err.message : String(err);
  return new PassportImportError(
    'ERR_SOURCE_UNREACHABLE',
    `cannot read oauth_clients from the Laravel database: ${reason}`,
    { cause: err },
  );
}
