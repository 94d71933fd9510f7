/**
 * `m2m-auth import passport`: Laravel Passport's `oauth_clients` rows (the fixtures, exactly as
 * Passport 12 and 13 store them) loaded into real MariaDB, PostgreSQL and SQLite databases with
 * Passport's column types, and adopted from each.
 */
import { openStore, type Store } from '@m2m-auth/server';
import { PassportImportError } from '@m2m-auth/server/errors';
import { importPassportClients, type PassportImportEntry } from '@m2m-auth/server/passport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLaravelDatabase,
  HOSPITAL_MANIFEST,
  type LaravelDatabase,
  type LaravelDialect,
  laravelDialectUnavailable,
  type PassportFixture,
} from './helpers/laravel-database.js';
import { runCliProcess } from './helpers/run-cli.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function laravel(
  dialect: LaravelDialect,
  fixture: PassportFixture,
): Promise<LaravelDatabase> {
  const db = await createLaravelDatabase(dialect, fixture);
  cleanups.push(() => db.drop());
  return db;
}

async function emptyStore(): Promise<{ store: Store; database: TestDatabase }> {
  const database = await createTestDatabase('sqlite');
  const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  cleanups.push(async () => {
    await store.close();
    await database.drop();
  });
  return { store, database };
}

function summary(entries: readonly PassportImportEntry[]): string[] {
  return entries
    .map((e) =>
      e.action === 'skip'
        ? `skip ${e.passportName}: ${e.reason}`
        : `${e.action} ${e.name} ${e.revoked ? 'revoked' : 'active'} secret ${e.secret}`,
    )
    .sort();
}

const EXPECTED: Record<PassportFixture, { version: string; entries: string[] }> = {
  'passport12-plain': {
    version: '10-12',
    entries: [
      'create ms_admin active secret plain, hashed on import',
      'create ms_billing revoked secret none (revoked)',
      'create ms_college active secret plain, hashed on import',
      'create ms_doctor active secret plain, hashed on import',
      'create spa-frontend active secret plain, hashed on import',
      'skip Laravel Password Grant Client: password grant client (issues user tokens)',
      'skip Laravel Personal Access Client: personal access client (issues user tokens)',
      'skip mobile-app: public client: no secret',
    ],
  },
  'passport12-hashed': {
    version: '10-12',
    entries: [
      'create ms_admin active secret bcrypt, kept',
      'create ms_billing revoked secret none (revoked)',
      'create ms_college active secret bcrypt, kept',
      'create ms_doctor active secret bcrypt, kept',
      'create spa-frontend active secret bcrypt, kept',
      'skip Laravel Password Grant Client: password grant client (issues user tokens)',
      'skip Laravel Personal Access Client: personal access client (issues user tokens)',
      'skip mobile-app: public client: no secret',
    ],
  },
  passport13: {
    version: '13',
    entries: [
      'create ms_admin active secret bcrypt, kept',
      'create ms_billing revoked secret none (revoked)',
      'create ms_college active secret bcrypt, kept',
      'create ms_doctor active secret argon2id, kept',
      'create ms_lab active secret bcrypt, kept',
      'skip Laravel Personal Access Client: not a machine client: grant_types ["personal_access"] has no client_credentials',
      'skip spa-frontend: not a machine client: grant_types ["authorization_code","refresh_token"] has no client_credentials',
    ],
  },
};

const DIALECTS: LaravelDialect[] = ['mariadb', 'postgres', 'sqlite'];
const FIXTURES: PassportFixture[] = ['passport12-plain', 'passport12-hashed', 'passport13'];

describe.each(DIALECTS)('import passport from %s', (dialect) => {
  it.skipIf(laravelDialectUnavailable(dialect)).each(FIXTURES)(
    '%s: dry run plans, import adopts ids and secrets, a second run changes nothing',
    async (fixture) => {
      const source = await laravel(dialect, fixture);
      const { store } = await emptyStore();
      const options = {
        from: source.url,
        manifest: HOSPITAL_MANIFEST,
        audiences: ['ms_doctor'],
        scopes: ['doctors:read'],
      };

      const plan = await importPassportClients(store, { ...options, dryRun: true });
      expect(plan.version).toBe(EXPECTED[fixture].version);
      expect(summary(plan.entries)).toEqual(EXPECTED[fixture].entries);
      expect(await store.clients.list()).toEqual([]);
      const revisionBefore = await store.revision();
      expect(revisionBefore).toBe(0);

      const done = await importPassportClients(store, options);
      expect(summary(done.entries)).toEqual(EXPECTED[fixture].entries);
      const clients = await store.clients.list();
      const adopted = done.entries.filter((e) => e.action !== 'skip');
      expect(clients.map((c) => c.clientId).sort()).toEqual(
        adopted.map((e) => e.passportId).sort(),
      );
      const admin = clients.find((c) => c.name === 'ms_admin');
      expect(admin).toMatchObject({
        audiences: ['ms_doctor', 'ms_college'],
        scopes: ['doctors:read', 'doctors:write', 'college:read'],
        tokenFormat: 'passport',
        revokedAt: null,
      });
      expect(clients.find((c) => c.name === 'ms_billing')?.revokedAt).not.toBeNull();
      if (fixture === 'passport12-plain') expect(admin?.clientId).toBe('3');
      if (fixture === 'passport13') {
        expect(admin?.clientId).toBe('9b53c0b3-96a8-4fbd-b28c-98fb9557a343');
        expect(clients.find((c) => c.name === 'ms_lab')).toMatchObject({
          audiences: ['ms_doctor'],
          scopes: ['doctors:read'],
        });
      }
      const legacy = await store.clients.legacySecretClientIds();
      expect(legacy.length).toBe(fixture === 'passport12-plain' ? 0 : adopted.length - 1);

      const revision = await store.revision();
      const again = await importPassportClients(store, options);
      expect(again.entries.filter((e) => e.action !== 'skip').map((e) => e.action)).toEqual(
        adopted.map(() => 'unchanged'),
      );
      expect(await store.revision()).toBe(revision);
    },
  );
});

describe('import passport refusals (nothing written)', () => {
  it('an invalid Passport name is a clear error with the fix, and nothing is imported', async () => {
    const source = await laravel('sqlite', 'passport12-hashed');
    const { store } = await emptyStore();
    const err = await importPassportClients(store, { from: source.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassportImportError);
    expect((err as PassportImportError).code).toBe('ERR_CLIENT_NAME_INVALID');
    expect((err as Error).message).toContain('Passport client 6 is named "ms_billing (retired)"');
    expect((err as Error).message).toContain('passport_client: 6');
    expect((err as Error).message).toContain('--name 6=<new-name>');
    expect(await store.clients.list()).toEqual([]);

    // The fix the message gives works.
    const done = await importPassportClients(store, {
      from: source.url,
      names: { '6': 'ms_billing' },
    });
    expect(done.entries.find((e) => e.passportId === '6')).toMatchObject({
      action: 'create',
      name: 'ms_billing',
    });
  });

  it('a name taken by another client fails the whole import', async () => {
    const source = await laravel('sqlite', 'passport13');
    const { store } = await emptyStore();
    await store.clients.create({ name: 'ms_lab' });
    await expect(
      importPassportClients(store, { from: source.url, manifest: HOSPITAL_MANIFEST }),
    ).rejects.toMatchObject({ code: 'ERR_CLIENT_NAME_TAKEN' });
    expect((await store.clients.list()).map((c) => c.name)).toEqual(['ms_lab']);
  });

  it('unknown sources and non-Passport databases are refused', async () => {
    const { store, database } = await emptyStore();
    await expect(importPassportClients(store, { from: 'oracle://x' })).rejects.toMatchObject({
      code: 'ERR_SOURCE_URL_INVALID',
    });
    await expect(
      importPassportClients(store, { from: `sqlite:${database.dir}/missing.sqlite` }),
    ).rejects.toMatchObject({ code: 'ERR_SOURCE_UNREACHABLE' });
    await expect(importPassportClients(store, { from: database.url })).rejects.toMatchObject({
      code: 'ERR_SOURCE_NOT_PASSPORT',
    });
    await expect(
      importPassportClients(store, {
        from: (await laravel('sqlite', 'passport13')).url,
        names: { '42': 'ms_x' },
      }),
    ).rejects.toMatchObject({ code: 'ERR_MANIFEST_REFERENCE' });
  });
});

describe('m2m-auth import passport (CLI)', () => {
  it('prints the plan with --dry-run, imports, and client list shows the legacy hashes', async () => {
    const source = await laravel('sqlite', 'passport13');
    const { database } = await emptyStore();
    const db = ['--database', database.url];
    const cwd = database.dir!;
    const args = [
      'import',
      'passport',
      '--from',
      source.url,
      '--name',
      'ms_billing (retired)=ms_billing',
    ];

    const dry = await runCliProcess([...args, '--dry-run', ...db], { cwd });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Plan (dry run, nothing written) from Laravel Passport 13');
    expect(dry.stdout).toMatch(/create\s+038e7086-dbe3-400e-8b9b-f42acfc641fd\s+ms_doctor/);
    expect(dry.stdout).toContain('5 to create, 0 to update, 0 unchanged, 2 skipped.');

    const run = await runCliProcess([...args, ...db], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('5 created, 0 updated, 0 unchanged, 2 skipped.');

    const list = await runCliProcess(['client', 'list', ...db], { cwd });
    expect(list.stdout).toMatch(
      /ms_doctor\s+038e7086-dbe3-400e-8b9b-f42acfc641fd\s+active.*passport\s+legacy \(Passport\)/,
    );
    expect(list.stdout).toContain('4 client(s) still hold a legacy secret hash');

    const bad = await runCliProcess(['import', 'passport', '--from', source.url, ...db], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a valid m2m-auth client name');
  });
});
