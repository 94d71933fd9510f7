/**
 * A Laravel database holding Passport's `oauth_clients` table, created with the column types of
 * Passport's own migration (`2016_06_01_000004_create_oauth_clients_table.php`, 12.x and 13.x, as
 * Laravel's schema grammars render them) and loaded with the rows of
 * `../shared/fixtures/passport-clients/`. MariaDB, PostgreSQL or SQLite.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '@m2m-auth/server/provision';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { inject } from 'vitest';
import { createTestDatabase } from './test-database.js';

export type LaravelDialect = 'mariadb' | 'postgres' | 'sqlite';
export type PassportFixture = 'passport12-plain' | 'passport12-hashed' | 'passport13';

export const FIXTURES_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'passport-clients',
);

export interface FixtureRow {
  id: number | string;
  name: string;
  secret: string | null;
  revoked: boolean;
  [column: string]: unknown;
}

export function fixtureRows(fixture: PassportFixture): FixtureRow[] {
  return (
    JSON.parse(readFileSync(join(FIXTURES_DIR, `${fixture}.json`), 'utf8')) as {
      rows: FixtureRow[];
    }
  ).rows;
}

/** The plain secrets of a fixture's rows, by id (what callers hold in OAUTH_CLIENT_SECRET). */
export function fixtureSecrets(fixture: PassportFixture): Record<string, string> {
  const all = JSON.parse(readFileSync(join(FIXTURES_DIR, 'secrets.json'), 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  return all[fixture] ?? {};
}

/** Whether tests of this dialect cannot run here (no MariaDB / PostgreSQL). */
export function laravelDialectUnavailable(dialect: LaravelDialect): boolean {
  if (dialect === 'mariadb') return inject('mysqlUrl') === '';
  if (dialect === 'postgres') return inject('pgUrl') === '';
  return false;
}

export interface LaravelDatabase {
  /** What `m2m-auth import passport --from` takes. */
  url: string;
  drop(): Promise<void>;
}

/** Passport 12.x / 13.x `oauth_clients` DDL, per database, as Laravel's grammars write it. */
function createTableSql(dialect: LaravelDialect, v13: boolean): string {
  const bool = dialect === 'mariadb' ? 'tinyint(1)' : 'boolean';
  const ts =
    dialect === 'mariadb'
      ? 'timestamp null'
      : dialect === 'postgres'
        ? 'timestamp(0) without time zone null'
        : 'datetime null';
  const str = (n?: number) => (dialect === 'sqlite' ? 'varchar' : `varchar(${n ?? 255})`);
  const id = v13
    ? dialect === 'mariadb'
      ? 'char(36) not null primary key'
      : dialect === 'postgres'
        ? 'uuid not null primary key'
        : 'varchar not null primary key'
    : dialect === 'mariadb'
      ? 'bigint unsigned not null auto_increment primary key'
      : dialect === 'postgres'
        ? 'bigserial not null primary key'
        : 'integer not null primary key autoincrement';
  const userId =
    dialect === 'mariadb'
      ? 'bigint unsigned null'
      : dialect === 'postgres'
        ? 'bigint null'
        : 'integer null';
  const middle = v13
    ? `redirect_uris text not null, grant_types text not null,`
    : `redirect text not null, personal_access_client ${bool} not null, password_client ${bool} not null,`;
  return `create table oauth_clients (id ${id}, user_id ${userId}, name ${str()} not null, secret ${str(v13 ? 255 : 100)} null, provider ${str()} null, ${middle} revoked ${bool} not null, created_at ${ts}, updated_at ${ts})`;
}

/**
 * A new Laravel database of `dialect` with the fixture's rows in `oauth_clients`.
 */
export async function createLaravelDatabase(
  dialect: LaravelDialect,
  fixture: PassportFixture,
): Promise<LaravelDatabase> {
  let url: string;
  let drop: () => Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: an ad-hoc schema.
  let db: Kysely<any>;
  if (dialect === 'mariadb') {
    const admin = new URL(inject('mysqlUrl'));
    const name = `laravel_${process.pid}_${randomBytes(4).toString('hex')}`;
    const adminPool = createPool({
      host: admin.hostname,
      port: Number(admin.port),
      user: admin.username,
      password: decodeURIComponent(admin.password),
    });
    await adminPool.promise().query(`create database \`${name}\``);
    await adminPool.promise().end();
    const target = new URL(admin);
    target.pathname = `/${name}`;
    url = target.toString();
    db = new Kysely({
      dialect: new MysqlDialect({
        pool: createPool({
          host: admin.hostname,
          port: Number(admin.port),
          user: admin.username,
          password: decodeURIComponent(admin.password),
          database: name,
        }),
      }),
    });
    drop = async () => {
      const pool = createPool({
        host: admin.hostname,
        port: Number(admin.port),
        user: admin.username,
        password: decodeURIComponent(admin.password),
      });
      await pool.promise().query(`drop database if exists \`${name}\``);
      await pool.promise().end();
    };
  } else if (dialect === 'postgres') {
    const database = await createTestDatabase('postgres');
    url = database.url;
    db = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
    });
    drop = () => database.drop();
  } else {
    const database = await createTestDatabase('sqlite');
    const file = join(database.dir!, 'laravel.sqlite');
    url = `sqlite:${file}`;
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(file) }) });
    drop = () => database.drop();
  }
  try {
    const v13 = fixture === 'passport13';
    await sql.raw(createTableSql(dialect, v13)).execute(db);
    const asBool = (value: unknown) =>
      dialect === 'postgres' ? value === true : value === true ? 1 : 0;
    for (const row of fixtureRows(fixture)) {
      const values: Record<string, unknown> = { ...row, revoked: asBool(row.revoked) };
      if (!v13) {
        values['personal_access_client'] = asBool(row['personal_access_client']);
        values['password_client'] = asBool(row['password_client']);
      }
      await db.insertInto('oauth_clients').values(values).execute();
    }
  } finally {
    await db.destroy();
  }
  return { url, drop };
}

/** The hospital services, naming the Passport client ms_billing adopts (its name is not valid). */
export const HOSPITAL_MANIFEST = parseManifest(
  `
services:
  ms_doctor:
    scopes: [doctors:read, doctors:write]
    calls:
      ms_college: [college:read]
  ms_college:
    scopes: [college:read]
    calls:
      ms_doctor: [doctors:read]
  ms_admin:
    calls:
      ms_doctor: [doctors:read, doctors:write]
      ms_college: [college:read]
  ms_billing:
    passport_client: "ms_billing (retired)"
    calls:
      ms_doctor: [doctors:read]
`,
  'services.yaml',
);
