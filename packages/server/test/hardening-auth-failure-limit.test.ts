/**
 * Brute-force limits of the token endpoint: failed client authentications are counted per
 * (client_id, source address), per address and per client_id; a limit answers 429 with
 * Retry-After. Driven in process with `inject`, which lets each request come from its own address.
 */
import { type AuthFailureLimitOptions, buildServer, openStore, type Store } from '@m2m-auth/server';
import { AuthFailureLimiter } from '@m2m-auth/server/http';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { basicAuth } from './helpers/auth-server.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

let database: TestDatabase;
let store: Store;
let app: FastifyInstance | undefined;
beforeEach(async () => {
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.generate('ES256');
});
afterEach(async () => {
  vi.useRealTimers();
  await app?.close();
  app = undefined;
  await store?.close();
  await database?.drop();
});

function serve(authFailureLimit?: AuthFailureLimitOptions | false): FastifyInstance {
  app = buildServer({
    store,
    issuer: 'https://auth.example',
    ...(authFailureLimit === undefined ? {} : { authFailureLimit }),
  });
  return app;
}

async function newClient(name: string): Promise<{ id: string; secret: string }> {
  const { client, clientSecret } = await store.clients.create({ name, audiences: ['ms_doctor'] });
  return { id: client.clientId, secret: clientSecret };
}

/** POSTs a token request with Basic credentials from `address`; resolves to status and headers. */
async function requestToken(
  server: FastifyInstance,
  clientId: string,
  secret: string,
  address: string,
  payload = 'grant_type=client_credentials',
) {
  const res = await server.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress: address,
    headers: {
      authorization: basicAuth(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload,
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

const WRONG = 'not-the-secret';

describe('failed client authentications per (client_id, address)', () => {
  it('answers 429 temporarily_unavailable with Retry-After once the limit is reached, even to the right secret', async () => {
    const server = serve({ maxPerClientAndAddress: 3, blockSec: 120 });
    const victim = await newClient('victim');
    for (let i = 0; i < 3; i += 1) {
      expect((await requestToken(server, victim.id, WRONG, '10.0.0.66')).status).toBe(401);
    }
    const limited = await requestToken(server, victim.id, victim.secret, '10.0.0.66');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('120');
    expect(limited.headers['content-type']).toMatch(/^application\/json/);
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(limited.body).toEqual({
      error: 'temporarily_unavailable',
      error_description:
        'Too many failed client authentications; retry after the time in Retry-After.',
    });
  });

  it('keeps issuing to the same client_id from other addresses: an attacker cannot lock it out', async () => {
    const server = serve({ maxPerClientAndAddress: 3 });
    const victim = await newClient('victim');
    for (let i = 0; i < 10; i += 1) await requestToken(server, victim.id, WRONG, '10.0.0.66');
    expect((await requestToken(server, victim.id, victim.secret, '10.0.0.66')).status).toBe(429);
    expect((await requestToken(server, victim.id, victim.secret, '10.0.0.7')).status).toBe(200);
  });

  it('lifts the block when it ends', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const server = serve({ maxPerClientAndAddress: 2, windowSec: 60, blockSec: 60 });
    const client = await newClient('svc');
    await requestToken(server, client.id, WRONG, '10.0.0.66');
    await requestToken(server, client.id, WRONG, '10.0.0.66');
    const limited = await requestToken(server, client.id, client.secret, '10.0.0.66');
    expect(limited.status).toBe(429);
    vi.setSystemTime(new Date('2030-01-01T00:00:59Z'));
    const later = await requestToken(server, client.id, client.secret, '10.0.0.66');
    expect(later.status).toBe(429);
    expect(later.headers['retry-after']).toBe('1');
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'));
    expect((await requestToken(server, client.id, client.secret, '10.0.0.66')).status).toBe(200);
  });

  it('forgets earlier failures of a pair once it authenticates', async () => {
    const server = serve({ maxPerClientAndAddress: 3 });
    const client = await newClient('svc');
    for (let round = 0; round < 3; round += 1) {
      await requestToken(server, client.id, WRONG, '10.0.0.7');
      await requestToken(server, client.id, WRONG, '10.0.0.7');
      expect((await requestToken(server, client.id, client.secret, '10.0.0.7')).status).toBe(200);
    }
  });
});

describe('failed client authentications per source address', () => {
  it('does not slow a client that authenticated from an address while an attacker there hammers other client_ids', async () => {
    const server = serve({ maxPerAddress: 5 });
    const legit = await newClient('legit');
    expect((await requestToken(server, legit.id, legit.secret, '10.0.0.1')).status).toBe(200);
    for (let i = 0; i < 20; i += 1) {
      await requestToken(server, crypto.randomUUID(), WRONG, '10.0.0.1');
    }
    const attacker = await requestToken(server, crypto.randomUUID(), WRONG, '10.0.0.1');
    expect(attacker.status).toBe(429);
    expect((await requestToken(server, legit.id, legit.secret, '10.0.0.1')).status).toBe(200);
    // And from anywhere else, nothing changed for anyone.
    const other = await newClient('other');
    expect((await requestToken(server, other.id, other.secret, '10.0.0.2')).status).toBe(200);
  });

  it('makes a client whose first request comes from an address blocked for others wait for the block', async () => {
    const server = serve({ maxPerAddress: 5, blockSec: 30 });
    for (let i = 0; i < 5; i += 1) {
      await requestToken(server, crypto.randomUUID(), WRONG, '10.0.0.1');
    }
    const newcomer = await newClient('newcomer');
    const first = await requestToken(server, newcomer.id, newcomer.secret, '10.0.0.1');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('30');
    expect((await requestToken(server, newcomer.id, newcomer.secret, '10.0.0.2')).status).toBe(200);
  });

  it('counts IPv6 sources per /64 and IPv4-mapped IPv6 sources as IPv4', async () => {
    const server = serve({ maxPerAddress: 4 });
    await requestToken(server, crypto.randomUUID(), WRONG, '2001:db8:1:2::1');
    await requestToken(server, crypto.randomUUID(), WRONG, '2001:db8:1:2:aaaa::2');
    await requestToken(server, crypto.randomUUID(), WRONG, '2001:0db8:0001:0002:ffff:1:2:3');
    await requestToken(server, crypto.randomUUID(), WRONG, '2001:db8:1:2::ffff:1.2.3.4');
    expect((await requestToken(server, crypto.randomUUID(), WRONG, '2001:db8:1:2::9')).status).toBe(
      429,
    );
    expect((await requestToken(server, crypto.randomUUID(), WRONG, '2001:db8:1:3::9')).status).toBe(
      401,
    );

    for (let i = 0; i < 4; i += 1) {
      await requestToken(server, crypto.randomUUID(), WRONG, '::ffff:192.0.2.9');
    }
    expect((await requestToken(server, crypto.randomUUID(), WRONG, '192.0.2.9')).status).toBe(429);
  });
});

describe('failed client authentications per client_id', () => {
  it('refuses a client_id under a distributed attack only where it has not authenticated', async () => {
    const server = serve({ maxPerClient: 5, maxPerClientAndAddress: 100, maxPerAddress: 100 });
    const victim = await newClient('victim');
    expect((await requestToken(server, victim.id, victim.secret, '10.1.0.1')).status).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      await requestToken(server, victim.id, WRONG, `203.0.113.${i + 1}`);
    }
    expect((await requestToken(server, victim.id, WRONG, '203.0.113.99')).status).toBe(429);
    expect((await requestToken(server, victim.id, victim.secret, '203.0.113.99')).status).toBe(429);
    expect((await requestToken(server, victim.id, victim.secret, '10.1.0.1')).status).toBe(200);
  });
});

describe('what counts as a failure', () => {
  it('counts only failed authentications: malformed requests and refused scopes never block', async () => {
    const server = serve({ maxPerClientAndAddress: 2, maxPerAddress: 2, maxPerClient: 2 });
    const client = await newClient('svc');
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await requestToken(server, client.id, client.secret, '10.0.0.5', 'grant_type=password'))
          .status,
      ).toBe(400);
      expect(
        (
          await requestToken(
            server,
            client.id,
            client.secret,
            '10.0.0.5',
            'grant_type=client_credentials&scope=admin',
          )
        ).status,
      ).toBe(400);
    }
    expect((await requestToken(server, client.id, client.secret, '10.0.0.5')).status).toBe(200);
  });

  it('can be turned off', async () => {
    const server = serve(false);
    const client = await newClient('svc');
    for (let i = 0; i < 60; i += 1) {
      expect((await requestToken(server, client.id, WRONG, '10.0.0.66')).status).toBe(401);
    }
    expect((await requestToken(server, client.id, client.secret, '10.0.0.66')).status).toBe(200);
  });

  it('refuses misused limits with a TypeError at construction', () => {
    for (const bad of [
      { windowSec: 0 },
      { maxPerAddress: -1 },
      { blockSec: 1.5 },
      { maxEntries: Number.NaN },
      { maxPerClient: '10' },
      { maxPerIp: 3 },
    ]) {
      expect(() =>
        buildServer({ store, issuer: 'https://auth.example', authFailureLimit: bad as never }),
      ).toThrow(TypeError);
    }
  });
});

describe('AuthFailureLimiter memory', () => {
  it('keeps at most maxEntries counters, dropping the least recently updated', () => {
    const limiter = new AuthFailureLimiter({
      maxEntries: 10,
      maxPerClientAndAddress: 1,
      maxPerAddress: 1000,
      maxPerClient: 1000,
    });
    const now = Date.now();
    for (let i = 0; i <= 10; i += 1) limiter.recordFailure(`client-${i}`, '10.0.0.1', now);
    // client-0's pair counter was pushed out by the eleventh; the latest ten are still blocked.
    expect(limiter.check('client-0', '10.0.0.1', now)).toBeUndefined();
    for (let i = 1; i <= 10; i += 1) {
      expect(limiter.check(`client-${i}`, '10.0.0.1', now)?.scope).toBe('client_and_address');
    }
  });

  it('counts client_ids of any length under a bounded key', () => {
    const limiter = new AuthFailureLimiter({ maxPerClientAndAddress: 2 });
    const huge = 'x'.repeat(100_000);
    const now = Date.now();
    limiter.recordFailure(huge, '10.0.0.1', now);
    limiter.recordFailure(huge, '10.0.0.1', now);
    expect(limiter.check(huge, '10.0.0.1', now)?.scope).toBe('client_and_address');
    expect(limiter.check(`${huge}y`, '10.0.0.1', now)).toBeUndefined();
  });
});
