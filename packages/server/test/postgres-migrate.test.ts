/**
 * Migrations on PostgreSQL: `m2m-auth migrate` and every instance's start run them, possibly at the
 * same moment; the schema must come out created once. And PostgreSQL never falls back to a key
 * file: without M2M_AUTH_KEK the schema can be managed but no key made or used.
 */
import { openStore } from '@m2m-auth/server';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliProcess } from './helpers/run-cli.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(dialectUnavailable('postgres'))(
  'migrations on PostgreSQL',
  { timeout: 60_000 },
  () => {
    let database: TestDatabase;
    const cwd = process.cwd();
    beforeEach(async () => {
      database = await createTestDatabase('postgres');
    });
    afterEach(async () => {
      await database?.drop();
    });

    it('creates the schema once when two migrate processes and several store handles start on a fresh database at once', async () => {
      const [first, second, ...stores] = await Promise.all([
        runCliProcess(['migrate', '--database', database.url], { cwd }),
        runCliProcess(['migrate', '--database', database.url], { cwd }),
        ...Array.from({ length: 4 }, () =>
          openStore({ databaseUrl: database.url, kek: randomKek() }),
        ),
      ]);
      await Promise.all(stores.map((store) => store.close()));
      for (const result of [first, second]) {
        expect(result).toEqual({
          code: 0,
          stdout: 'The database schema is up to date (store revision 0).\n',
          stderr: '',
        });
      }
      const applied = await query<{ name: string }>(
        database.url,
        'select name from m2m_migration order by name',
      );
      const names = applied.map((row) => row.name);
      expect(names).toContain('0001_initial');
      expect(new Set(names).size).toBe(names.length);
      expect(await query(database.url, 'select id, revision from m2m_store_state')).toEqual([
        { id: 1, revision: '0' },
      ]);

      // Running it again changes nothing.
      const again = await runCliProcess(['migrate', '--database', database.url, '--json'], { cwd });
      expect(JSON.parse(again.stdout)).toEqual({ migrated: true, revision: 0 });
      expect(
        (
          await query<{ name: string }>(
            database.url,
            'select name from m2m_migration order by name',
          )
        ).map((row) => row.name),
      ).toEqual(names);
    });

    it('migrates without M2M_AUTH_KEK, but refuses to make a key or to serve without it, leaving no key behind', async () => {
      const env = { DATABASE_URL: database.url };
      expect((await runCliProcess(['migrate'], { cwd, env })).code).toBe(0);

      const generate = await runCliProcess(['keys', 'generate'], { cwd, env });
      expect(generate.code).toBe(1);
      expect(generate.stderr).toBe(
        'm2m-auth: error: M2M_AUTH_KEK is required with PostgreSQL (32 bytes, base64; generate one with: openssl rand -base64 32) [ERR_KEK_REQUIRED]\n',
      );

      const serve = await runCliProcess(['serve', '--port', '0'], { cwd, env });
      expect(serve.code).toBe(1);
      expect(serve.stderr).toMatch(/^m2m-auth: error: M2M_AUTH_KEK is required with PostgreSQL/m);
      expect(await query(database.url, 'select kid from m2m_signing_keys')).toEqual([]);
    });

    it('fails in one line, without the password, when PostgreSQL is unreachable', async () => {
      const result = await runCliProcess(
        ['migrate', '--database', 'postgres://m2m:s3cret-pass@127.0.0.1:1/m2m_auth'],
        { cwd },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^m2m-auth: error: cannot open the PostgreSQL database: .+\n$/);
      expect(result.stderr).not.toContain('s3cret-pass');
    });
  },
);
