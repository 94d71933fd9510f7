import { Writable } from 'node:stream';
import { buildServer, openStore, type Store, startServer } from '@m2m-auth/server';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { basicAuth, readResponse, requestClientCredentials } from './helpers/auth-server.js';
import { randomKek, type TestDatabase } from './helpers/test-database.js';
import { openTestStores, type TestStores } from './helpers/test-stores.js';

let stores: TestStores;
let database: TestDatabase;
let store: Store;
let cli: Store;
beforeEach(async () => {
  stores = await openTestStores('sqlite');
  ({ database, store, cli } = stores);
});
afterEach(async () => {
  await stores?.close();
});

describe('buildServer', () => {
  it('returns an app that answers in process without listening', async () => {
    await store.keys.generate('ES256');
    const { client, clientSecret } = await cli.clients.create({ name: 'a', audiences: ['b'] });
    const app = buildServer({ store, issuer: 'https://auth.example' });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: {
          authorization: basicAuth(client.clientId, clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(app.server.listening).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('throws a TypeError at construction for misused options', () => {
    const bad: Record<string, unknown>[] = [
      { issuer: 'not a url' },
      { issuer: 'ftp://auth.example' },
      { issuer: 'https://auth.example/?tenant=1' },
      { issuer: 'https://auth.example/#x' },
      { issuer: '' },
      { issuer: 'https://auth.example', revisionCheckIntervalMs: -1 },
      { issuer: 'https://auth.example', jwksMaxAgeSec: 1.5 },
      { issuer: 'https://auth.example', bodyLimitBytes: Number.NaN },
      { issuer: 'https://auth.example', realm: 'say "hi"' },
    ];
    for (const options of bad) {
      expect(() => buildServer({ store, ...options } as never)).toThrow(TypeError);
    }
    expect(() => buildServer({ issuer: 'https://auth.example' } as never)).toThrow(TypeError);
  });

  it('refuses an option name it does not know, so a typo keeps no default silently', () => {
    expect(() =>
      buildServer({ store, issuer: 'https://auth.example', jwksMaxAge: 60 } as never),
    ).toThrow(/buildServer: unknown option "jwksMaxAge"/);
  });
});

describe('logging', () => {
  it('logs refusals at debug level without the secrets or tokens the requests carried', async () => {
    await store.keys.generate('ES256');
    const { client, clientSecret } = await cli.clients.create({ name: 'a', audiences: ['b'] });
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = buildServer({
      store,
      issuer: 'https://auth.example',
      logger: { level: 'debug', stream },
    });
    const post = (payload: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/oauth/token', headers, payload });
    try {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const json = { 'content-type': 'application/json' };
      const secret = 'S3CRET-that-must-not-be-logged';
      const answers = [
        await post(`{"client_id":"${client.clientId}","client_secret":"${secret}",`, json),
        await post(`{"grant_type":"client_credentials","client_secret":"${secret}"}`, json),
        await post(`grant_type=client_credentials&client_id=x&client_secret=${secret}`, form),
        await post('grant_type=client_credentials', {
          ...form,
          authorization: basicAuth(client.clientId, secret),
        }),
        await post('grant_type=client_credentials&scope=nope', {
          ...form,
          authorization: basicAuth(client.clientId, clientSecret),
        }),
      ];
      expect(answers.map((a) => a.statusCode)).toEqual([400, 401, 401, 401, 400]);
      const token = await post('grant_type=client_credentials', {
        ...form,
        authorization: basicAuth(client.clientId, clientSecret),
      });
      expect(token.statusCode).toBe(200);
      const logs = lines.join('');
      expect(logs).toContain('request refused');
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(clientSecret);
      expect(logs).not.toContain(token.json().access_token);
    } finally {
      await app.close();
    }
  });
});

describe('startServer and /healthz', () => {
  it('generates an RS256 key on a store without one and reports it', async () => {
    const server = await startServer({ store, port: 0 });
    try {
      expect(server.generatedKey).toMatchObject({ alg: 'RS256', state: 'active' });
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.issuer).toBe(server.url);
      const health = await readResponse(await fetch(`${server.url}/healthz`));
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });

  it('keeps an existing key and generates none', async () => {
    const existing = await store.keys.generate('EdDSA');
    const server = await startServer({ store, port: 0 });
    try {
      expect(server.generatedKey).toBeUndefined();
      expect((await store.keys.active())?.kid).toBe(existing.kid);
    } finally {
      await server.close();
    }
  });

  it('without a signing key, answers 503 on /healthz and on the token endpoint, until one is added', async () => {
    const server = await startServer({ store, port: 0, generateKeyIfMissing: false });
    try {
      const { client, clientSecret } = await cli.clients.create({ name: 'a', audiences: ['b'] });
      const health = await readResponse(await fetch(`${server.url}/healthz`));
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'unavailable', reason: 'no_signing_key' });
      const request = () => requestClientCredentials(server.url, client.clientId, clientSecret);
      const refused = await readResponse(await request());
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('temporarily_unavailable');
      // An operator must act: clients are told not to come back at once.
      expect(refused.headers.get('retry-after')).toBe('30');

      await cli.keys.generate('RS256');
      expect((await request()).status).toBe(200);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers 503 temporarily_unavailable with Retry-After, not 500, when the database cannot be read', async () => {
    const { client, clientSecret } = await cli.clients.create({ name: 'a', audiences: ['b'] });
    const server = await startServer({ store, port: 0 });
    try {
      await store.close();
      const res = await readResponse(
        await requestClientCredentials(server.url, client.clientId, clientSecret),
      );
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The authorization server cannot reach its database; retry later.',
      });
      expect(res.headers.get('retry-after')).toBe('2');
      const health = await readResponse(await fetch(`${server.url}/healthz`));
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'unavailable', reason: 'database' });
    } finally {
      await server.close();
    }
  });

  it('says "database", not "signing_key_unusable", when the database fails while keys reload', async () => {
    const server = await startServer({ store, port: 0 });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // The revision still answers but the keys cannot be read: what a database failing between
      // the health check's two queries looks like (seen once in CI during a PostgreSQL restart).
      const raw = new Database(database.file as string);
      try {
        raw.exec('alter table m2m_signing_keys rename to m2m_signing_keys_away');
        raw.exec('update m2m_store_state set revision = revision + 1');
        const health = await readResponse(await fetch(`${server.url}/healthz`));
        expect(health).toMatchObject({
          status: 503,
          body: { status: 'unavailable', reason: 'database' },
        });
      } finally {
        raw.exec('alter table m2m_signing_keys_away rename to m2m_signing_keys');
        raw.close();
      }
      await vi.waitFor(async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(200));
    } finally {
      await server.close();
    }
  });

  it('opens and closes its own store when given a database URL', async () => {
    const server = await startServer({ databaseUrl: database.url, kek: randomKek(), port: 0 });
    // The KEK differs from the one the other stores use, but this database has no key yet.
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    await server.close();
    await expect(server.store.revision()).rejects.toThrow();
  });

  it('rejects misused options before opening anything', async () => {
    await expect(startServer({ port: 0 } as never)).rejects.toThrow(TypeError);
    await expect(startServer({ store, databaseUrl: database.url, port: 0 })).rejects.toThrow(
      TypeError,
    );
    await expect(startServer({ store, port: 70_000 })).rejects.toThrow(TypeError);
    await expect(startServer({ store, port: 0, issuer: 'nope' })).rejects.toThrow(TypeError);
    await expect(startServer({ store, prot: 0, hots: '0.0.0.0' } as never)).rejects.toThrow(
      /startServer: unknown option "prot"/,
    );
  });

  it('refuses a misspelt option of openStore and a misspelt client field, writing nothing', async () => {
    await expect(openStore({ databseUrl: 'sqlite::memory:' } as never)).rejects.toThrow(
      /openStore: unknown option "databseUrl"/,
    );
    await expect(openStore(undefined as never)).rejects.toThrow(TypeError);
    await expect(
      openStore({ databaseUrl: 'sqlite::memory:', migrat: false } as never),
    ).rejects.toThrow(/openStore: unknown option "migrat"/);
    const before = (await store.clients.list()).length;
    await expect(
      store.clients.create({ name: 'typo-scope', audiences: ['x'], scope: ['s'] } as never),
    ).rejects.toThrow(/clients\.create: unknown option "scope"/);
    expect((await store.clients.list()).length).toBe(before);
    const created = await store.clients.create({ name: 'typo-patch', audiences: ['x'] });
    await expect(
      store.clients.update(created.client.clientId, { scope: ['s'] } as never),
    ).rejects.toThrow(/clients\.update: unknown option "scope"/);
  });
});
