/**
 * With a revision check interval (the PostgreSQL default), clients and keys are served from cache
 * between checks. An instance that cannot reach its database must not do so for long: another
 * instance or the CLI may have revoked a client meanwhile. Past maxStaleMs (5 s by default) it
 * answers 503 instead. The outage is simulated by closing the store the server reads (every read
 * then fails, as with a database that went away), and time moves with a faked `Date` only.
 */
import { Writable } from 'node:stream';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let store: Store;
let app: FastifyInstance;
let logs: string;
let credentials: { clientId: string; clientSecret: string };

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  database = await createTestDatabase('sqlite');
  const kek = randomKek();
  const cli = await openStore({ databaseUrl: database.url, kek });
  await cli.keys.generate('ES256');
  const { client, clientSecret } = await cli.clients.create({ name: 'a', audiences: ['b'] });
  credentials = { clientId: client.clientId, clientSecret };
  await cli.close();
  store = await openStore({ databaseUrl: database.url, kek });
  logs = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logs += String(chunk);
      callback();
    },
  });
  app = buildServer({
    store,
    issuer: 'https://auth.example',
    revisionCheckIntervalMs: 1_000,
    logger: { level: 'info', stream },
  });
  await app.ready();
});
afterEach(async () => {
  await app?.close();
  await store?.close();
  await database?.drop();
  vi.useRealTimers();
});

function requestToken() {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: {
      authorization: basicAuth(credentials.clientId, credentials.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: 'grant_type=client_credentials',
  });
}

describe('a cache that can no longer be confirmed current', () => {
  it('serves cached clients and keys for a short database outage, then answers 503 once the cache is older than 5 s', async () => {
    expect((await requestToken()).statusCode).toBe(200);
    expect((await app.inject('/.well-known/jwks.json')).statusCode).toBe(200);

    await store.close(); // the database goes away
    expect((await requestToken()).statusCode).toBe(200);
    expect((await app.inject('/.well-known/jwks.json')).statusCode).toBe(200);

    vi.setSystemTime(Date.now() + 5_001);
    const token = await requestToken();
    expect(token.statusCode).toBe(503);
    expect(token.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The authorization server cannot reach its database; retry later.',
    });
    const jwks = await app.inject('/.well-known/jwks.json');
    expect(jwks.statusCode).toBe(503);
    expect(jwks.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const health = await app.inject('/healthz');
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'unavailable', reason: 'database' });
  });

  it('logs the start of an outage once, not once per failed check', async () => {
    await store.close();
    vi.setSystemTime(Date.now() + 10_000);
    for (let i = 0; i < 5; i++) expect((await requestToken()).statusCode).toBe(503);
    const lines = logs.split('\n').filter((line) => line.includes('the database does not answer'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, maxStaleMs: 5_000 });
  });
});
