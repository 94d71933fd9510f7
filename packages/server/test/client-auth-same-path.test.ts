/**
 * Unknown, revoked and wrong-secret client_ids take the same path at the token endpoint, cache
 * included: no store query and nothing cached per presented client_id (so a client_id seen
 * recently answers no faster than a fresh one), and exactly one secret hash compared in each case.
 * Checked structurally — which operations run — never with timing thresholds (bench/ measures).
 */
import { randomUUID } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
  type TestDialect,
} from './helpers/test-database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The store's client registry with every call counted by method name (the store itself is real). */
function countClientCalls<S extends { clients: object }>(store: S): { store: S; calls: string[] } {
  const calls: string[] = [];
  const clients = new Proxy(store.clients, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
  return {
    store: new Proxy(store, { get: (t, n) => (n === 'clients' ? clients : Reflect.get(t, n)) }),
    calls,
  };
}

/**
 * Counts, in this process, the SHA-256 digests taken of strings and the constant-time comparisons
 * made (node:crypto `hash` and `timingSafeEqual`, the real functions called through), as the server
 * built here compares a presented client secret with stored hashes (RFC 6749 §2.3.1).
 */
function countSecretChecks(): { digested: string[]; compared: number; restore: () => void } {
  const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const { hash, timingSafeEqual } = nodeCrypto;
  const counts = {
    digested: [] as string[],
    compared: 0,
    restore: () => {
      nodeCrypto.hash = hash;
      nodeCrypto.timingSafeEqual = timingSafeEqual;
      syncBuiltinESMExports();
    },
  };
  nodeCrypto.hash = ((...args: Parameters<typeof hash>) => {
    if (typeof args[1] === 'string') counts.digested.push(args[1]);
    return hash(...args);
  }) as typeof hash;
  nodeCrypto.timingSafeEqual = (a, b) => {
    counts.compared += 1;
    return timingSafeEqual(a, b);
  };
  syncBuiltinESMExports();
  return counts;
}

interface Fixture {
  known: { id: string; secret: string };
  revoked: { id: string; secret: string };
}

async function registerClients(store: Pick<Store, 'clients' | 'keys'>): Promise<Fixture> {
  await store.keys.generate('ES256');
  const known = await store.clients.create({ name: 'known', audiences: ['ms_doctor'] });
  const revoked = await store.clients.create({ name: 'revoked', audiences: ['ms_doctor'] });
  await store.clients.revoke('revoked');
  return {
    known: { id: known.client.clientId, secret: known.clientSecret },
    revoked: { id: revoked.client.clientId, secret: revoked.clientSecret },
  };
}

/** The three failures (plus a repeat of the unknown id), each with a wrong-looking secret. */
function failingCases(f: Fixture): [string, string, string][] {
  const unknown = randomUUID();
  return [
    ['fresh unknown client_id', unknown, f.known.secret],
    ['known client_id, wrong secret', f.known.id, 'not-the-secret-at-all-0123456789abcdefghij'],
    ['revoked client_id, its old secret', f.revoked.id, f.revoked.secret],
    ['the same unknown client_id again', unknown, f.known.secret],
    ['another fresh unknown client_id', randomUUID(), f.known.secret],
  ];
}

async function open(dialect: TestDialect): Promise<{ database: TestDatabase; kek: string }> {
  const database = await createTestDatabase(dialect);
  cleanups.push(() => database.drop());
  return { database, kek: randomKek() };
}

describe.each(TEST_DIALECTS)('unknown, revoked and wrong-secret client_ids on %s', (dialect) => {
  it.skipIf(dialectUnavailable(dialect))(
    'cause no store query and nothing cached per client_id at the token endpoint',
    async () => {
      const { database, kek } = await open(dialect);
      const real = await openStore({ databaseUrl: database.url, kek });
      cleanups.push(() => real.close());
      const fixture = await registerClients(real);
      const { store, calls } = countClientCalls(real);
      const app: FastifyInstance = buildServer({
        store,
        issuer: 'https://auth.example',
        authFailureLimit: false,
        revisionCheckIntervalMs: 0,
      });
      cleanups.push(() => app.close());
      const request = (id: string, secret: string) =>
        app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: {
            authorization: basicAuth(id, secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: 'grant_type=client_credentials',
        });
      // Warm up: the first request after a revision loads the client table, whoever it names.
      expect((await request(fixture.known.id, fixture.known.secret)).statusCode).toBe(200);
      expect(calls).toEqual(['listCredentials']);

      const perCase = [];
      for (const [label, id, secret] of failingCases(fixture)) {
        calls.length = 0;
        const res = await request(id, secret);
        perCase.push({
          label,
          status: res.statusCode,
          error: res.json().error,
          storeCalls: [...calls],
        });
      }
      expect(perCase).toEqual(
        failingCases(fixture).map(([label]) => ({
          label,
          status: 401,
          error: 'invalid_client',
          storeCalls: [],
        })),
      );
    },
  );

  it.skipIf(dialectUnavailable(dialect))(
    'go through one digest of the presented secret and one comparison of exactly one hash each, the same as a wrong secret',
    async () => {
      const { database, kek } = await open(dialect);
      const real = await openStore({ databaseUrl: database.url, kek });
      cleanups.push(() => real.close());
      const fixture = await registerClients(real);
      const { store, calls } = countClientCalls(real);
      const crypto = countSecretChecks();
      cleanups.push(async () => crypto.restore());
      const app = buildServer({
        store,
        issuer: 'https://auth.example',
        authFailureLimit: false,
        revisionCheckIntervalMs: 0,
      });
      cleanups.push(() => app.close());
      const request = (id: string, secret: string) =>
        app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: {
            authorization: basicAuth(id, secret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: 'grant_type=client_credentials',
        });
      // Warm up: loads the client table once.
      expect((await request(fixture.known.id, fixture.known.secret)).statusCode).toBe(200);
      calls.length = 0;

      const perCase = [];
      for (const [label, id, secret] of failingCases(fixture)) {
        crypto.digested.length = 0;
        crypto.compared = 0;
        const res = await request(id, secret);
        perCase.push({
          label,
          error: res.json().error,
          digests: crypto.digested.filter((data) => data === secret).length,
          compared: crypto.compared,
        });
      }
      expect(perCase).toEqual(
        failingCases(fixture).map(([label]) => ({
          label,
          error: 'invalid_client',
          digests: 1,
          compared: 1,
        })),
      );
      expect(calls).toEqual([]);
    },
  );
});
