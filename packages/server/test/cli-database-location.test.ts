/**
 * A command run in the wrong folder used to create an empty `data/m2m-auth.db` and answer "No
 * clients". Commands that only read now refuse a database that does not exist, naming its path and
 * DATABASE_URL, and create nothing; commands that create say where they created it.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@m2m-auth/server';
import type { StoreError } from '@m2m-auth/server/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliProcess } from './helpers/run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'm2m-auth-where-')));
  dirs.push(dir);
  return dir;
}

const READ_ONLY: readonly (readonly string[])[] = [
  ['client', 'list'],
  ['client', 'show', 'ms_admin'],
  ['keys', 'list'],
  ['keys', 'export-public'],
  ['keys', 'export-public', '--all'],
  ['audit', 'tail'],
];

describe('commands that only read', () => {
  it.each(READ_ONLY)(
    '%s %s refuses a database that does not exist and creates nothing',
    async (...args) => {
      const dir = emptyDir();
      const result = await runCliProcess(args, { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `m2m-auth: error: there is no SQLite database at ${dir}/data/m2m-auth.db (DATABASE_URL is not set, so the default sqlite:./data/m2m-auth.db in ${dir}); this command creates no database: run it where the database is, or set DATABASE_URL (or --database) to it [ERR_DATABASE_NOT_FOUND]\n`,
      );
      expect(existsSync(join(dir, 'data'))).toBe(false);
    },
  );

  it('names DATABASE_URL or --database when the path came from there', async () => {
    const dir = emptyDir();
    const fromEnv = await runCliProcess(['client', 'list'], {
      cwd: dir,
      env: { DATABASE_URL: 'sqlite:./elsewhere.db' },
    });
    expect(fromEnv.stderr).toContain(
      `there is no SQLite database at ${dir}/elsewhere.db (from DATABASE_URL)`,
    );
    const fromOption = await runCliProcess(['client', 'list', '--database', 'sqlite:x.db'], {
      cwd: dir,
    });
    expect(fromOption.stderr).toContain(
      `there is no SQLite database at ${dir}/x.db (from --database)`,
    );
    expect(existsSync(join(dir, 'elsewhere.db'))).toBe(false);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });

  it('openStore({ mustExist: true }) refuses a missing file too', async () => {
    const dir = emptyDir();
    const err = (await openStore({
      databaseUrl: `sqlite:${dir}/none.db`,
      mustExist: true,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as StoreError;
    expect(err.code).toBe('ERR_DATABASE_NOT_FOUND');
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
  });
});

describe('commands that create', () => {
  it('say where they created the database, once', async () => {
    const dir = emptyDir();
    const created = await runCliProcess(
      ['client', 'create', 'ms_admin', '--audiences', 'ms_doctor'],
      {
        cwd: dir,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toBe(
      `m2m-auth: created a new SQLite database at ${dir}/data/m2m-auth.db\n`,
    );
    // The next command finds it: no message, and the read-only commands work.
    const listed = await runCliProcess(['client', 'list'], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toContain('ms_admin');

    const migrated = await runCliProcess(['migrate', '--database', 'sqlite:other.db'], {
      cwd: dir,
    });
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toBe(`m2m-auth: created a new SQLite database at ${dir}/other.db\n`);
  });
});
