import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@m2m-auth/server';
import { verifyClientSecret } from '@m2m-auth/server/clients';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpSqlite, runCliProcess, sharedCliDatabase } from './helpers/run-cli.js';

/** A database set up once for the failing-command cases (removed after the file's tests). */
const failureDatabase = sharedCliDatabase([['client', 'create', 'ms_admin', '--scopes', 'a']]);

describe('m2m-auth client', () => {
  let dir: string;
  let dbFile: string;
  let db: string;
  const cli = (...args: string[]) => runCliProcess(['--database', db, ...args], { cwd: dir });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-auth-cli-'));
    dbFile = join(dir, 'auth.db');
    db = `sqlite:${dbFile}`;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a client and prints its client_id and secret once, with a note that it is not shown again', async () => {
    const result = await cli(
      'client',
      'create',
      'ms_admin',
      '--audiences',
      'ms_doctor',
      '--scopes',
      'doctors:read,doctors:write',
    );
    // A new database: the command says where it created it.
    expect(result).toMatchObject({
      code: 0,
      stderr: `m2m-auth: created a new SQLite database at ${dbFile}\n`,
    });
    const clientId = /client_id: +(\S+)/.exec(result.stdout)?.[1];
    const secret = /client_secret: +(\S+)/.exec(result.stdout)?.[1];
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.stdout).toContain('The client secret is shown only this once');
    expect(result.stdout).toContain('scopes:     doctors:read doctors:write');
    expect(result.stdout).toContain('token TTL:  900 s');

    const store = await openStore({ databaseUrl: db, env: {} });
    try {
      const creds = await store.clients.getCredentials(clientId as string);
      expect(
        verifyClientSecret(secret as string, creds?.secrets ?? [], Math.floor(Date.now() / 1000)),
      ).toBe(true);
    } finally {
      await store.close();
    }

    for (const args of [
      ['client', 'list'],
      ['client', 'show', 'ms_admin'],
      ['client', 'show', 'ms_admin', '--json'],
      ['client', 'list', '--json'],
    ]) {
      const shown = await cli(...args);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(clientId);
      expect(shown.stdout).not.toContain(secret);
    }
  });

  it('prints JSON with --json', async () => {
    const created = JSON.parse(
      (await cli('client', 'create', 'ms_admin', '--token-ttl', '3600', '--json')).stdout,
    );
    expect(created).toMatchObject({
      name: 'ms_admin',
      scopes: [],
      audiences: [],
      token_ttl_sec: 3600,
      revoked_at: null,
    });
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const list = JSON.parse((await cli('client', 'list', '--json')).stdout);
    expect(list).toEqual([
      expect.objectContaining({ client_id: created.client_id, name: 'ms_admin' }),
    ]);
    const updated = JSON.parse(
      (await cli('client', 'update', 'ms_admin', '--scopes', 'a,b', '--json')).stdout,
    );
    expect(updated.scopes).toEqual(['a', 'b']);
    const revoked = JSON.parse((await cli('client', 'revoke', created.client_id, '--json')).stdout);
    expect(revoked.revoked_at).toEqual(expect.any(Number));
  });

  it('rotates a secret with a grace period during which both secrets are accepted', async () => {
    const { client_secret: first } = JSON.parse(
      (await cli('client', 'create', 'ms_admin', '--json')).stdout,
    );
    const rotated = await cli('client', 'rotate-secret', 'ms_admin', '--grace', '3600');
    expect(rotated.code).toBe(0);
    const second = /client_secret: +(\S+)/.exec(rotated.stdout)?.[1];
    expect(second).not.toBe(first);
    expect(rotated.stdout).toContain('The previous secret stays valid for 3600 s');
    expect((await cli('client', 'show', 'ms_admin')).stdout).toMatch(
      /secrets: +2 accepted \(one until \S+\)/,
    );
    const store = await openStore({ databaseUrl: db, env: {} });
    try {
      const found = await store.clients.find('ms_admin');
      const creds = await store.clients.getCredentials(found?.clientId as string);
      const now = Math.floor(Date.now() / 1000);
      expect(verifyClientSecret(first, creds?.secrets ?? [], now)).toBe(true);
      expect(verifyClientSecret(second as string, creds?.secrets ?? [], now)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('revokes a client by name and shows it as revoked', async () => {
    await cli('client', 'create', 'ms_admin');
    const revoked = await cli('client', 'revoke', 'ms_admin');
    expect(revoked.stdout).toMatch(/^Revoked client ms_admin/);
    expect((await cli('client', 'show', 'ms_admin')).stdout).toMatch(/status: +revoked at /);
    expect((await cli('client', 'revoke', 'ms_admin')).stdout).toMatch(
      /^Client ms_admin was already revoked at /,
    );
  });

  it.each([
    [['client', 'create', 'ms_admin'], 'm2m-auth: error: a client named ms_admin already exists'],
    [
      ['client', 'create', 'ms_other', '--scopes', 'bad"scope'],
      /^m2m-auth: error: invalid scope "bad\\"scope"/,
    ],
    [
      ['client', 'create', 'ms_other', '--token-ttl', '999999'],
      'm2m-auth: error: token TTL must be a whole number of seconds from 1 to 86400, got 999999',
    ],
    [
      ['client', 'create', 'ms_other', '--token-ttl', 'soon'],
      /^m2m-auth: error: option '--token-ttl <sec>' argument 'soon' is invalid/,
    ],
    [
      ['client', 'update', 'ms_nobody', '--scopes', 'a'],
      'm2m-auth: error: no client with id or name "ms_nobody"',
    ],
    [
      ['client', 'update', 'ms_admin'],
      'm2m-auth: error: nothing to update: give scopes, audiences, a token TTL or a token format',
    ],
    [
      ['client', 'rotate-secret', 'ms_admin', '--grace', '-5'],
      /^m2m-auth: error: option '--grace <sec>' argument '-5' is invalid/,
    ],
    [
      ['client', 'rotate-secret', 'ms_admin', '--grace', '99999999'],
      /^m2m-auth: error: grace period must be/,
    ],
    [['client', 'revoke', 'ms_nobody'], 'm2m-auth: error: no client with id or name "ms_nobody"'],
    [['client', 'show', 'ms_nobody'], 'm2m-auth: error: no client with id or name "ms_nobody"'],
    [['client', 'create'], "m2m-auth: error: missing required argument 'name'"],
    [
      ['client', 'create', 'ms_other', '--colour', 'red'],
      "m2m-auth: error: unknown option '--colour'",
    ],
  ] as [string[], string | RegExp][])(
    'fails %j with a one-line error and leaves the database unchanged',
    async (args, message) => {
      // One database for every case: each failure must leave it exactly as the setup made it.
      const shared = await failureDatabase();
      const before = dumpSqlite(shared.file);
      const result = await runCliProcess(['--database', `sqlite:${shared.file}`, ...args], {
        cwd: shared.dir,
      });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.endsWith('\n')).toBe(true);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      // Our own errors end with their code; commander's usage errors have none.
      const text = result.stderr.trimEnd().replace(/ \[ERR_[A-Z0-9_]+\]$/, '');
      if (typeof message === 'string') expect(text).toBe(message);
      else expect(result.stderr).toMatch(message);
      expect(dumpSqlite(shared.file)).toBe(before);
    },
  );

  it('takes --database before or after the command, else DATABASE_URL, else ./data/m2m-auth.db', async () => {
    const other = `sqlite:${join(dir, 'other.db')}`;
    expect(
      (await runCliProcess(['client', 'create', 'ms_a', '--database', other], { cwd: dir })).code,
    ).toBe(0);
    expect(
      (await runCliProcess(['--database', other, 'client', 'show', 'ms_a'], { cwd: dir })).code,
    ).toBe(0);
    expect(
      (await runCliProcess(['client', 'show', 'ms_a'], { cwd: dir, env: { DATABASE_URL: other } }))
        .code,
    ).toBe(0);
    const byDefault = await runCliProcess(['client', 'create', 'ms_b'], { cwd: dir });
    expect(byDefault.code).toBe(0);
    expect(dumpSqlite(join(dir, 'data', 'm2m-auth.db'))).toContain('ms_b');
    expect(dumpSqlite(join(dir, 'other.db'))).not.toContain('ms_b');
  });

  it('says there are no clients on an empty database', async () => {
    expect((await cli('migrate')).code).toBe(0);
    expect((await cli('client', 'list')).stdout).toBe(
      'No clients. Create one with: m2m-auth client create <name> --audiences <service>\n',
    );
    expect(JSON.parse((await cli('client', 'list', '--json')).stdout)).toEqual([]);
  });

  it.each([
    ['client', 'create'],
    ['client', 'list'],
    ['client', 'show'],
    ['client', 'revoke'],
    ['client', 'rotate-secret'],
    ['client', 'update'],
  ])('shows options and an example in `%s %s --help`', async (...command) => {
    const result = await runCliProcess([...command, '--help'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--database <url>');
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toMatch(/Examples?:\n {2}\$ m2m-auth client /);
  });
});
