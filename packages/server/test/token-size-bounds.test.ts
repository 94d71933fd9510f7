/**
 * A token the server issues is never larger than `@m2m-auth/verifier` accepts by default: a
 * client's scopes are bounded at registration (store, CLI, manifest), and a token that would still
 * be too large (a client registered before the bound) is refused with invalid_scope, never sent.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, startServer } from '@m2m-auth/server';
import { MAX_CLIENT_SCOPES, MAX_CLIENT_SCOPES_LENGTH } from '@m2m-auth/server/clients';
import { AUTH_SERVER_ERRORS, ProvisionError, StoreError } from '@m2m-auth/server/errors';
import { parseManifest } from '@m2m-auth/server/provision';
import { MAX_ACCESS_TOKEN_LENGTH } from '@m2m-auth/server/tokens';
import { createVerifier, DEFAULT_MAX_TOKEN_LENGTH } from '@m2m-auth/verifier';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuth, readResponse } from './helpers/auth-server.js';
import { dumpSqlite, runCliProcess } from './helpers/run-cli.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newStore(): Promise<{ store: Store; database: TestDatabase }> {
  const database = await createTestDatabase('sqlite');
  cleanups.push(() => database.drop());
  const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  cleanups.push(() => store.close());
  return { store, database };
}

/** `count` distinct scopes of exactly `length` characters each. */
function scopes(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => `s${i}:`.padEnd(length, 'x'));
}

/** Scopes at both bounds: MAX_CLIENT_SCOPES of them, MAX_CLIENT_SCOPES_LENGTH characters in all. */
function scopesAtTheBounds(): string[] {
  const each = Math.floor((MAX_CLIENT_SCOPES_LENGTH + 1) / MAX_CLIENT_SCOPES) - 1;
  const list = scopes(MAX_CLIENT_SCOPES, each);
  const used = list.join(' ').length;
  list[0] = `${list[0]}`.padEnd(each + MAX_CLIENT_SCOPES_LENGTH - used, 'y');
  expect(list.join(' ')).toHaveLength(MAX_CLIENT_SCOPES_LENGTH);
  return list;
}

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return (err as StoreError).message;
}

describe('the largest token', () => {
  it('is the verifier’s default maximum', () => {
    expect(MAX_ACCESS_TOKEN_LENGTH).toBe(DEFAULT_MAX_TOKEN_LENGTH);
  });
});

describe('scopes of a client at registration', () => {
  it('are refused beyond 128 scopes or 2048 characters by create and update, leaving the store as it was', async () => {
    const { store } = await newStore();
    const tooMany = await expectStoreError(
      store.clients.create({ name: 'a', scopes: scopes(MAX_CLIENT_SCOPES + 1, 3) }),
      'ERR_SCOPES_TOO_LARGE',
    );
    expect(tooMany).toContain('129 scopes');
    const tooLong = await expectStoreError(
      store.clients.create({ name: 'b', scopes: scopes(80, 70) }),
      'ERR_SCOPES_TOO_LARGE',
    );
    expect(tooLong).toContain('5679 characters');
    expect(await store.clients.list()).toEqual([]);

    const { client } = await store.clients.create({ name: 'c', scopes: scopesAtTheBounds() });
    await expectStoreError(
      store.clients.update('c', { scopes: [...scopesAtTheBounds(), 'one-more'] }),
      'ERR_SCOPES_TOO_LARGE',
    );
    expect((await store.clients.find('c'))?.scopes).toEqual(client.scopes);
  });

  it('are refused by `m2m-auth client create` with a readable error and nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-auth-scopes-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = `sqlite:${join(dir, 'auth.db')}`;
    const cli = (...args: string[]) => runCliProcess(['--database', db, ...args], { cwd: dir });
    expect((await cli('client', 'create', 'small', '--scopes', 'a,b')).code).toBe(0);
    const before = dumpSqlite(join(dir, 'auth.db'));
    const result = await cli('client', 'create', 'big', '--scopes', scopes(80, 70).join(','));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^m2m-auth: error: 80 scopes of 5679 characters \(space-separated\) are too many for one client: at most 128 scopes and 2048 characters/,
    );
    const update = await cli('client', 'update', 'small', '--scopes', scopes(200, 2).join(','));
    expect(update.code).toBe(1);
    expect(update.stderr).toContain('200 scopes');
    expect(dumpSqlite(join(dir, 'auth.db'))).toBe(before);
  });

  it('are refused in a manifest when the scopes of a service’s calls add up to too many', () => {
    const receiverA = scopes(70, 20);
    const receiverB = scopes(70, 21).map((s) => `b${s}`);
    const manifest = {
      services: {
        ms_a: { scopes: receiverA },
        ms_b: { scopes: receiverB },
        ms_caller: { calls: { ms_a: receiverA, ms_b: receiverB } },
        ms_fine: { calls: { ms_a: receiverA.slice(0, 10) } },
      },
    };
    const err = (() => {
      try {
        parseManifest(JSON.stringify(manifest), 'platform.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).code).toBe('ERR_MANIFEST_INVALID');
    expect((err as ProvisionError).message).toContain(
      'services.ms_caller.calls: 140 scopes of 3079 characters (space-separated) are too many for one client',
    );
    expect((err as ProvisionError).message).not.toContain('ms_fine');
  });
});

describe('tokens at issuance', () => {
  it('for a client at the bounds, with a long audience and an RSA-4096 key, fit and verify with the verifier’s defaults', async () => {
    const { store } = await newStore();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
    await store.keys.import(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      state: 'active',
    });
    const audience = `https://${'r'.repeat(238)}.internal`;
    expect(audience).toHaveLength(255);
    const { client, clientSecret } = await store.clients.create({
      name: 'ms_big',
      scopes: scopesAtTheBounds(),
      audiences: [audience],
    });
    const issuer = `http://127.0.0.1/${'t'.repeat(200)}`;
    const server = await startServer({ store, port: 0, issuer, generateKeyIfMissing: false });
    cleanups.push(() => server.close());
    const res = await fetch(`${server.url}/${'t'.repeat(200)}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(client.clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { status, body } = await readResponse(res);
    expect(status).toBe(200);
    const token = body['access_token'] as string;
    expect(token.length).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_LENGTH);
    const verifier = createVerifier({
      issuer,
      audience,
      jwksUri: `${server.url}/${'t'.repeat(200)}/.well-known/jwks.json`,
      allowInsecureHttp: true,
    });
    const claims = await verifier.verify(token);
    expect(claims.scope).toBe(scopesAtTheBounds().join(' '));
  });

  it('that would be too large (a client registered before the bound) are refused with invalid_scope, and fewer scopes work', async () => {
    const { store, database } = await newStore();
    await store.keys.generate('RS256');
    const { client, clientSecret } = await store.clients.create({
      name: 'ms_legacy',
      scopes: ['doctors:read'],
      audiences: ['ms_doctor'],
    });
    // What an older version let through: 80 scopes of 70 characters (8,442-character tokens).
    const legacy = scopes(80, 70);
    const sqlite = new Database(database.file as string);
    sqlite
      .prepare('update m2m_clients set scopes = ? where client_id = ?')
      .run(JSON.stringify(legacy), client.clientId);
    sqlite.close();
    const server = await startServer({ store, port: 0, generateKeyIfMissing: false });
    cleanups.push(() => server.close());
    const ask = (scope?: string) =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(client.clientId, clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=client_credentials${scope === undefined ? '' : `&scope=${scope}`}`,
      }).then(readResponse);
    const all = await ask();
    expect(all.status).toBe(400);
    expect(all.body).toEqual({
      error: 'invalid_scope',
      error_description: AUTH_SERVER_ERRORS.ERR_TOKEN_TOO_LARGE.description,
    });
    const few = await ask(legacy.slice(0, 5).join('+'));
    expect(few.status).toBe(200);
    expect((few.body['access_token'] as string).length).toBeLessThan(MAX_ACCESS_TOKEN_LENGTH);
  });
});
