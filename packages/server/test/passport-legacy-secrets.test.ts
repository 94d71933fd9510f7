/**
 * Secrets adopted from Laravel Passport: bcrypt (`$2y$`) and argon2id hashes made by PHP's
 * `password_hash` verify at the token endpoint, are replaced by the server's own hash at the first
 * success, are counted (and logged), and the failure limiter bounds how many slow checks guesses
 * can cause.
 */
import { Writable } from 'node:stream';
import { type AuthFailureLimitOptions, buildServer, openStore, type Store } from '@m2m-auth/server';
import { importPassportClients } from '@m2m-auth/server/passport';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLaravelDatabase,
  fixtureSecrets,
  type LaravelDatabase,
  type PassportFixture,
} from './helpers/laravel-database.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let laravel: LaravelDatabase | undefined;
let store: Store;
let app: FastifyInstance | undefined;
let logLines: Record<string, unknown>[];

beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.generate('RS256');
  logLines = [];
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await store.close();
  await database.drop();
  await laravel?.drop();
  laravel = undefined;
});

async function adopt(fixture: PassportFixture): Promise<void> {
  laravel = await createLaravelDatabase('sqlite', fixture);
  await importPassportClients(store, {
    from: laravel.url,
    names: { 'ms_billing (retired)': 'ms_billing' },
    audiences: ['ms_doctor'],
    scopes: ['doctors:read'],
  });
}

function serve(authFailureLimit?: AuthFailureLimitOptions): FastifyInstance {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  app = buildServer({
    store,
    issuer: 'https://auth.example',
    logger: { level: 'info', stream },
    ...(authFailureLimit === undefined ? {} : { authFailureLimit }),
  });
  return app;
}

/** What PHP callers send: a JSON body, `client_id` a number for Passport 10-12 ids. */
async function passportRequest(server: FastifyInstance, clientId: string, secret: string) {
  const res = await server.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: /^\d+$/.test(clientId) ? Number(clientId) : clientId,
      client_secret: secret,
      scope: '*',
    }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

const legacyLog = (msg: string) => logLines.filter((l) => l['msg'] === msg).length;
const VERIFIED = 'legacy client secret hash verified; replacing it with the server hash';
const MISMATCH = 'legacy client secret hash did not match';

describe.each<PassportFixture>(['passport12-hashed', 'passport13'])('%s hashes', (fixture) => {
  it('verify, are replaced by our hash at the first success, and are counted', async () => {
    await adopt(fixture);
    const server = serve();
    const secrets = fixtureSecrets(fixture);
    const legacyBefore = await store.clients.legacySecretClientIds();
    expect(legacyBefore.length).toBe(4);

    for (const clientId of legacyBefore) {
      const wrong = await passportRequest(server, clientId, 'not-the-secret');
      expect(wrong.status).toBe(401);
      const first = await passportRequest(server, clientId, secrets[clientId]!);
      expect(first.status).toBe(200);
      expect(first.body['token_type']).toBe('Bearer');
    }
    expect(await store.clients.legacySecretClientIds()).toEqual([]);
    expect(legacyLog(VERIFIED)).toBe(4);
    expect(legacyLog(MISMATCH)).toBe(4);
    const last = logLines.filter((l) => l['msg'] === VERIFIED).at(-1);
    expect(last?.['legacySecretVerifications']).toEqual({ succeeded: 4, failed: 4 });

    // From now on the fast path: no more legacy checks, the same secrets still work.
    for (const clientId of legacyBefore) {
      expect((await passportRequest(server, clientId, secrets[clientId]!)).status).toBe(200);
      expect((await passportRequest(server, clientId, 'not-the-secret')).status).toBe(401);
    }
    expect(legacyLog(VERIFIED) + legacyLog(MISMATCH)).toBe(8);
  });
});

it('the revoked Passport client stays refused with its right secret', async () => {
  await adopt('passport13');
  const server = serve();
  const revokedId = 'bc37c415-06aa-4588-90f2-8895e0453e89';
  const res = await passportRequest(server, revokedId, fixtureSecrets('passport13')[revokedId]!);
  expect(res.status).toBe(401);
  expect(res.body['error']).toBe('invalid_client');
});

it('the failure limiter bounds the slow legacy checks that guesses cause', async () => {
  await adopt('passport12-hashed');
  const server = serve({ maxPerClientAndAddress: 3, maxPerClient: 5, blockSec: 300 });
  const statuses: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    statuses.push((await passportRequest(server, '5', `guess-${i}`)).status);
  }
  expect(statuses.filter((s) => s === 401)).toHaveLength(3);
  expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  expect(legacyLog(MISMATCH)).toBe(3);
});
