import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpSqlite, runCliProcess } from './helpers/run-cli.js';

describe('m2m-auth migrate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-cli-migrate-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema of a new database and is harmless to run again', async () => {
    const db = `sqlite:${join(dir, 'auth.db')}`;
    const first = await runCliProcess(['migrate', '--database', db], { cwd: dir });
    expect(first).toEqual({
      code: 0,
      stdout: 'The database schema is up to date (store revision 0).\n',
      stderr: `m2m-auth: created a new SQLite database at ${join(dir, 'auth.db')}\n`,
    });
    const schema = dumpSqlite(join(dir, 'auth.db'));
    for (const table of [
      'm2m_clients',
      'm2m_client_secrets',
      'm2m_signing_keys',
      'm2m_store_state',
    ]) {
      expect(schema).toContain(`"${table}"`);
    }
    const again = await runCliProcess(['migrate', '--database', db, '--json'], { cwd: dir });
    expect(JSON.parse(again.stdout)).toEqual({ migrated: true, revision: 0 });
    expect(dumpSqlite(join(dir, 'auth.db'))).toBe(schema);
  });

  it('fails with one line for a database URL it does not support', async () => {
    const result = await runCliProcess(['migrate', '--database', 'mysql://x'], { cwd: dir });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'm2m-auth: error: unsupported database URL scheme "mysql:"; use sqlite:<path> or postgres://… [ERR_INVALID_DATABASE_URL]\n',
    });
  });
});
