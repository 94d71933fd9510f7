/**
 * A forgotten or wrong `M2M_AUTH_KEK` must never stop every service. The mistake, reproduced with
 * the real CLI and `m2m-auth serve` processes on a SQLite file: keys created under the variable,
 * then a command run without it. It used to create a new `<db>.kek` and store the next key under
 * it, which the server (with the right KEK) could not decrypt once it became active. Now the
 * command fails before writing anything, a server refuses to activate a key it cannot decrypt (the
 * current key keeps signing, `/healthz` says why), and a backup restored with its key-encryption
 * key issues tokens.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openStore } from '@m2m-auth/server';
import type { StoreError } from '@m2m-auth/server/errors';
import Database from 'better-sqlite3';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/async.js';
import { decodeJwt } from './helpers/auth-server.js';
import { dumpSqlite, runCliProcess } from './helpers/run-cli.js';
import { requestToken, scratchArea, startServeProcess } from './helpers/serve-process.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

const { tempDir, servers } = scratchArea('m2m-auth-kek-');

/** Runs the CLI on `file`; `kek` undefined runs it without M2M_AUTH_KEK. */
function cli(dir: string, file: string, kek: string | undefined, ...args: string[]) {
  return runCliProcess(['--database', `sqlite:${file}`, ...args], {
    cwd: dir,
    env: kek === undefined ? {} : { M2M_AUTH_KEK: kek },
  });
}

function serveEnv(kek: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['DATABASE_URL'];
  delete env['M2M_AUTH_KEK'];
  if (kek !== undefined) env['M2M_AUTH_KEK'] = kek;
  return env;
}

async function serve(dir: string, file: string, kek: string | undefined, ...args: string[]) {
  const server = await startServeProcess(['--database', `sqlite:${file}`, ...args], {
    env: serveEnv(kek),
    cwd: dir,
  });
  servers.push(server);
  return server;
}

/** Creates ms_admin (may call ms_doctor with doctors:read); returns its credentials. */
async function createCaller(dir: string, file: string, kek: string | undefined) {
  const created = await cli(
    dir,
    file,
    kek,
    'client',
    'create',
    'ms_admin',
    '--audiences',
    'ms_doctor',
    '--scopes',
    'doctors:read',
    '--json',
  );
  expect(created.code, created.stderr).toBe(0);
  const json = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  return { clientId: json.client_id, clientSecret: json.client_secret };
}

async function tokenKid(url: string, caller: { clientId: string; clientSecret: string }) {
  const response = await requestToken(url, caller, { scope: 'doctors:read' });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string };
  return { kid: decodeJwt(body.access_token).header['kid'], token: body.access_token };
}

describe('a forgotten M2M_AUTH_KEK', () => {
  it('create with a KEK, rotate without it (refused, nothing written), serve with it, activation passes', async () => {
    const dir = tempDir();
    const file = join(dir, 'auth.db');
    const kek = randomKek();

    // Create with the KEK.
    const generated = await cli(dir, file, kek, 'keys', 'generate', '--alg', 'ES256', '--json');
    expect(generated.code, generated.stderr).toBe(0);
    const first = (JSON.parse(generated.stdout) as { kid: string }).kid;
    const caller = await createCaller(dir, file, kek);
    expect(existsSync(`${file}.kek`)).toBe(false);

    // Rotate without it: an error naming the variable and the file, before anything is written.
    const before = dumpSqlite(file);
    const forgotten = await cli(dir, file, undefined, 'keys', 'rotate', '--propagation', '3');
    expect(forgotten.code).toBe(1);
    expect(forgotten.stderr).toBe(
      `m2m-auth: error: the signing keys in ${file} are encrypted, but M2M_AUTH_KEK is not set and the key file ${file}.kek does not exist; set M2M_AUTH_KEK to the key they were encrypted with, or put their key file back at ${file}.kek (nothing was written) [ERR_KEK_REQUIRED]\n`,
    );
    expect(existsSync(`${file}.kek`)).toBe(false);
    expect(dumpSqlite(file)).toBe(before);

    // A wrong KEK is refused the same way, by a trial decryption of the stored key.
    const wrong = await cli(dir, file, randomKek(), 'keys', 'rotate', '--propagation', '3');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `m2m-auth: error: M2M_AUTH_KEK does not decrypt the active signing key ${first} already stored; set M2M_AUTH_KEK to the key the stored keys were encrypted with (or unset it if they were encrypted under the key file ${file}.kek), or revoke that key (nothing was written) [ERR_KEK_MISMATCH]\n`,
    );
    expect(dumpSqlite(file)).toBe(before);
    // Nor does any other key-writing command write with it.
    for (const args of [
      ['keys', 'generate'],
      ['keys', 'revoke', '--', first],
    ]) {
      const result = await cli(dir, file, randomKek(), ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain('M2M_AUTH_KEK does not decrypt');
    }
    expect(dumpSqlite(file)).toBe(before);

    // The rotation, done right, and a server with the KEK: the new key takes over when due.
    const rotated = await cli(dir, file, kek, 'keys', 'rotate', '--propagation', '3', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const second = (JSON.parse(rotated.stdout) as { created: { kid: string }[] }).created[0]?.kid;
    const server = await serve(dir, file, kek);
    // Before the activation time the first key signs (unless starting took longer than the delay).
    expect([first, second]).toContain((await tokenKid(server.url, caller)).kid);
    await until(
      'the next key signs',
      async () => {
        return (await tokenKid(server.url, caller)).kid === second;
      },
      { limitMs: 20_000 },
    );
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(server.stdout()).not.toContain('activation refused');
  });

  it('a key file is created for a database without encrypted keys only', async () => {
    const dir = tempDir();
    const file = join(dir, 'auth.db');
    const warnings: string[] = [];
    const kek = randomKek();
    const withKek = await openStore({ databaseUrl: `sqlite:${file}`, env: { M2M_AUTH_KEK: kek } });
    await withKek.keys.generate('ES256');
    await withKek.close();

    const without = await openStore({
      databaseUrl: `sqlite:${file}`,
      env: {},
      warn: (message) => warnings.push(message),
    });
    try {
      for (const attempt of [
        () => without.keys.generate('ES256'),
        () => without.keys.rotate(),
        () => without.keys.active(),
      ]) {
        const err = (await attempt().then(
          () => undefined,
          (e: unknown) => e,
        )) as StoreError;
        expect(err.code).toBe('ERR_KEK_REQUIRED');
        expect(err.message).toContain(`M2M_AUTH_KEK is not set and the key file ${file}.kek`);
      }
      expect(await without.keys.list()).toHaveLength(1);
    } finally {
      await without.close();
    }
    expect(existsSync(`${file}.kek`)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('a key file that does not decrypt the stored keys is named in the error', async () => {
    const dir = tempDir();
    const file = join(dir, 'auth.db');
    const withKek = await openStore({
      databaseUrl: `sqlite:${file}`,
      env: { M2M_AUTH_KEK: randomKek() },
    });
    const key = await withKek.keys.generate('ES256');
    await withKek.close();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${file}.kek`, `${randomKek()}\n`, { mode: 0o600 });
    const store = await openStore({ databaseUrl: `sqlite:${file}`, env: {}, warn: () => {} });
    try {
      const err = (await store.keys.rotate().then(
        () => undefined,
        (e: unknown) => e,
      )) as StoreError;
      expect(err.code).toBe('ERR_KEK_MISMATCH');
      expect(err.message).toBe(
        `the key file ${file}.kek (used because M2M_AUTH_KEK is not set) does not decrypt the active signing key ${key.kid} already stored; set M2M_AUTH_KEK to the key the stored keys were encrypted with (or unset it if they were encrypted under the key file ${file}.kek), or revoke that key (nothing was written)`,
      );
      expect(await store.keys.list()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe('a server never activates a key it cannot decrypt', () => {
  it('refuses the due key with an error log and a health reason; the current key keeps signing', async () => {
    const dir = tempDir();
    const file = join(dir, 'auth.db');
    const kek = randomKek();
    expect((await cli(dir, file, kek, 'keys', 'generate', '--alg', 'ES256')).code).toBe(0);
    const caller = await createCaller(dir, file, kek);

    // What the old behaviour left behind: a next key written under another key-encryption key
    // (here made in another database, and its row copied over), due in 2 s.
    const otherFile = join(dir, 'other.db');
    const otherKek = randomKek();
    expect((await cli(dir, otherFile, otherKek, 'keys', 'generate', '--alg', 'ES256')).code).toBe(
      0,
    );
    expect((await cli(dir, otherFile, otherKek, 'keys', 'rotate')).code).toBe(0);
    const other = new Database(otherFile);
    const row = other.prepare("select * from m2m_signing_keys where state = 'next'").get() as {
      kid: string;
    } & Record<string, unknown>;
    other.close();
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.prepare(
      `insert into m2m_signing_keys (${Object.keys(row).join(', ')}) values (${Object.keys(row)
        .map(() => '?')
        .join(', ')})`,
    ).run(...Object.values({ ...row, activates_at: Math.floor(Date.now() / 1000) + 2 }));
    db.close();

    const server = await serve(dir, file, kek, '--rotate-every', '30d', '--admin-port', '0');
    const { kid: signing } = await tokenKid(server.url, caller);
    await until(
      'the server refuses the activation',
      async () => {
        const health = await fetch(`${server.url}/healthz`);
        return (
          health.status === 200 && ((await health.json()) as { status: string }).status !== 'ok'
        );
      },
      { limitMs: 20_000 },
    );
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'degraded',
      reason: 'next_signing_key_unusable',
      kids: [row.kid],
    });
    // The readiness probe of the admin listener keeps the instance in rotation and says the same.
    const adminUrl = /admin endpoints \(.*\) on (http:\/\/\S+)/.exec(server.stderr())?.[1];
    expect(adminUrl, server.stderr()).toBeDefined();
    const ready = await fetch(`${adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'degraded',
      reason: 'next_signing_key_unusable',
      kids: [row.kid],
    });
    // Still signing with the current key.
    expect((await tokenKid(server.url, caller)).kid).toBe(signing);
    const refusals = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('activation refused'))
      .map((line) => JSON.parse(line) as { level: number; kid: string; code: string });
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ level: 50, kid: row.kid, code: 'ERR_KEK_MISMATCH' });
    }

    // The CLI with the right KEK does not activate it either, and says why.
    const listed = await cli(dir, file, kek, 'keys', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain(
      `m2m-auth: warning: signing key ${row.kid} is due to become active but this process cannot decrypt it`,
    );
    expect(
      (JSON.parse(listed.stdout) as { kid: string; state: string }[]).find((k) => k.kid === row.kid)
        ?.state,
    ).toBe('next');

    // The way out: revoke the unusable key; the server is healthy again.
    expect((await cli(dir, file, kek, 'keys', 'revoke', '--', row.kid)).code).toBe(0);
    await until(
      'the server is healthy again',
      async () => {
        const again = await fetch(`${server.url}/healthz`);
        return ((await again.json()) as { status: string }).status === 'ok';
      },
      { limitMs: 10_000 },
    );
    expect((await tokenKid(server.url, caller)).kid).toBe(signing);
  });
});

describe('backup and restore (SQLite)', () => {
  it('a backup restored with its key file into a fresh folder issues tokens; without it, a clear error', async () => {
    const dir = tempDir();
    const file = join(dir, 'data', 'm2m-auth.db');
    mkdirSync(join(dir, 'data'));
    // The development setup: no M2M_AUTH_KEK, a key file beside the database.
    expect((await cli(dir, file, undefined, 'keys', 'generate', '--alg', 'ES256')).code).toBe(0);
    const caller = await createCaller(dir, file, undefined);

    // The backup of docs/backup-restore.md: an online copy of the database (sqlite3 .backup), and
    // the key file.
    const backupDir = tempDir();
    const source = new Database(file, { readonly: true });
    await source.backup(join(backupDir, 'm2m-auth.db'));
    source.close();
    copyFileSync(`${file}.kek`, join(backupDir, 'm2m-auth.db.kek'));

    // A fresh machine-like folder: the database and its key file, nothing else.
    const fresh = tempDir();
    mkdirSync(join(fresh, 'data'));
    const restored = join(fresh, 'data', 'm2m-auth.db');
    copyFileSync(join(backupDir, 'm2m-auth.db'), restored);
    copyFileSync(join(backupDir, 'm2m-auth.db.kek'), `${restored}.kek`);
    const server = await serve(fresh, restored, undefined, '--issuer', 'https://auth.example');
    const { token } = await tokenKid(server.url, caller);
    const { payload } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      { issuer: 'https://auth.example', audience: 'ms_doctor' },
    );
    expect(payload['client_id']).toBe(caller.clientId);
    await server.stop();

    // The same restore without the key file: the server says what is missing and writes nothing.
    const lost = tempDir();
    const lostFile = join(lost, 'm2m-auth.db');
    copyFileSync(join(backupDir, 'm2m-auth.db'), lostFile);
    const before = dumpSqlite(lostFile);
    const failed = await startServeProcess(['--database', `sqlite:${lostFile}`], {
      env: serveEnv(undefined),
      cwd: lost,
    }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failed).toContain(
      `M2M_AUTH_KEK is not set and the key file ${lostFile}.kek does not exist`,
    );
    expect(existsSync(`${lostFile}.kek`)).toBe(false);
    expect(dumpSqlite(lostFile)).toBe(before);
  });
});

describe.skipIf(dialectUnavailable('postgres'))('backup and restore (PostgreSQL)', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.drop();
  });

  it('pg_dump, pg_restore into an empty database, serve with the same M2M_AUTH_KEK: tokens; another KEK: refused', async () => {
    const run = promisify(execFile);
    const pgBin = existsSync('/usr/lib/postgresql/15/bin/pg_dump')
      ? '/usr/lib/postgresql/15/bin/'
      : '';
    const dir = tempDir();
    const kek = randomKek();
    const source = await createTestDatabase('postgres');
    databases.push(source);
    const withDb = (url: string, key: string) => ({ DATABASE_URL: url, M2M_AUTH_KEK: key });
    const generated = await runCliProcess(['keys', 'generate', '--alg', 'ES256'], {
      cwd: dir,
      env: withDb(source.url, kek),
    });
    expect(generated.code, generated.stderr).toBe(0);
    const created = await runCliProcess(
      [
        'client',
        'create',
        'ms_admin',
        '--audiences',
        'ms_doctor',
        '--scopes',
        'doctors:read',
        '--json',
      ],
      { cwd: dir, env: withDb(source.url, kek) },
    );
    const json = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    const caller = { clientId: json.client_id, clientSecret: json.client_secret };

    const dump = join(dir, 'm2m_auth.dump');
    await run(`${pgBin}pg_dump`, ['--format=custom', `--file=${dump}`, source.url]);
    const target = await createTestDatabase('postgres');
    databases.push(target);
    await run(`${pgBin}pg_restore`, ['--no-owner', `--dbname=${target.url}`, dump]);

    const env = (key: string): NodeJS.ProcessEnv => ({
      ...serveEnv(key),
      DATABASE_URL: target.url,
    });
    const server = await startServeProcess(['--issuer', 'https://auth.example'], {
      env: env(kek),
      cwd: dir,
    });
    servers.push(server);
    const { token } = await tokenKid(server.url, caller);
    const { payload } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      { issuer: 'https://auth.example', audience: 'ms_doctor' },
    );
    expect(payload['client_id']).toBe(caller.clientId);
    await server.stop();

    // The dump restored with another key-encryption key: nothing signs, and the operator is told.
    const failed = await startServeProcess([], { env: env(randomKek()), cwd: dir }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failed).toContain('M2M_AUTH_KEK');
  });
});
