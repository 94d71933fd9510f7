/**
 * The client against the real authorization server (@m2m-auth/server over a temporary SQLite store)
 * and a real resource server protected by @m2m-auth/verifier's Express adapter, all over HTTP on
 * 127.0.0.1. Token requests are counted where they arrive: an onRequest hook on the server's own
 * Fastify app.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenClient, type TokenClientOptions } from '@m2m-auth/client';
import { TokenClientError } from '@m2m-auth/client/errors';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import { createVerifier } from '@m2m-auth/verifier';
import { requireToken } from '@m2m-auth/verifier/express';
import express from 'express';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../../test/helpers/async.js';

const ISSUER = 'http://auth.m2m-auth.test';

let dir: string;
let store: Store;
let auth: { app: FastifyInstance; port: number } | undefined;
let authUrl: string;
let tokenRequests = 0;
/** ms_admin: may call ms_doctor with doctors:read, tokens live 3 s. */
let admin: { clientId: string; clientSecret: string };

/** Starts the real authorization server, counting token requests as they arrive. */
async function startAuthServer(port = 0): Promise<void> {
  const app = buildServer({ store, issuer: ISSUER });
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/oauth/token')) tokenRequests++;
  });
  await app.listen({ port, host: '127.0.0.1' });
  auth = { app, port: (app.server.address() as AddressInfo).port };
  authUrl = `http://127.0.0.1:${auth.port}`;
}

async function stopAuthServer(): Promise<void> {
  await auth?.app.close();
  auth = undefined;
}

function client(extra: TokenClientOptions = {}) {
  return createTokenClient({
    env: {
      AUTH_URL: `${authUrl}/oauth/token`,
      OAUTH_CLIENT_ID: admin.clientId,
      OAUTH_CLIENT_SECRET: admin.clientSecret,
    },
    refreshSkewSec: 1,
    ...extra,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm2m-auth-client-'));
  store = await openStore({
    databaseUrl: `sqlite:${join(dir, 'm2m-auth.db')}`,
    kek: randomBytes(32),
    warn: () => {},
  });
  await store.keys.generate('RS256');
  await store.clients.create({ name: 'ms_doctor', scopes: ['doctors:read', 'doctors:write'] });
  const created = await store.clients.create({
    name: 'ms_admin',
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
    tokenTtlSec: 3,
  });
  admin = { clientId: created.client.clientId, clientSecret: created.clientSecret };
  await startAuthServer();
});

afterAll(async () => {
  await stopAuthServer();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  tokenRequests = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('client against the real authorization server', () => {
  it('makes exactly one token request for 1,000 concurrent getToken calls at start', async () => {
    const auth = client();
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => auth.getToken({ audience: 'ms_doctor' })),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(tokenRequests).toBe(1);
  });

  it('reuses a token until the skew window, then refreshes it in the background', async () => {
    // Only Date is faked, in this process: the server stamps iat/exp and the client times its
    // cache on the same clock, while HTTP stays real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = client({ refreshSkewSec: 1 }); // 3 s tokens: refresh from 2 s on
    const first = await auth.getToken({ audience: 'ms_doctor' });
    vi.advanceTimersByTime(1_999);
    expect(await auth.getToken({ audience: 'ms_doctor' })).toBe(first);
    expect(tokenRequests).toBe(1);

    vi.advanceTimersByTime(1);
    // In the window: still the current token, while one request replaces it.
    expect(await auth.getToken({ audience: 'ms_doctor' })).toBe(first);
    const second = await untilChanged(() => auth.getToken({ audience: 'ms_doctor' }), first);
    expect(tokenRequests).toBe(2);
    expect(claims(second).exp).toBeGreaterThan(claims(first).exp);
    expect(claims(second).jti).not.toBe(claims(first).jti);
  });

  it('does not hand out an expired token: after the lifetime a caller waits for a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const auth = client({ refreshSkewSec: 1 });
    const first = await auth.getToken({ audience: 'ms_doctor' });
    vi.advanceTimersByTime(3_000); // no call during the skew window: nothing refreshed it
    const second = await auth.getToken({ audience: 'ms_doctor' });
    expect(second).not.toBe(first);
    expect(claims(second).exp * 1000).toBeGreaterThan(Date.now());
    expect(tokenRequests).toBe(2);
  });

  it('surfaces invalid_client for a wrong secret after exactly one request', async () => {
    const caller = client({ clientSecret: 'not-the-secret' });
    const calls = await Promise.allSettled(
      Array.from({ length: 10 }, () => caller.getToken({ audience: 'ms_doctor' })),
    );
    for (const call of calls) {
      expect(call.status).toBe('rejected');
      const err = (call as PromiseRejectedResult).reason as TokenClientError;
      expect(err).toBeInstanceOf(TokenClientError);
      expect(err).toMatchObject({
        code: 'ERR_INVALID_CLIENT',
        oauthError: 'invalid_client',
        status: 401,
        attempts: 1,
      });
      expect(err.message).not.toContain('not-the-secret');
    }
    expect(tokenRequests).toBe(1);
  });

  it('surfaces invalid_scope and an audience the client may not use as typed errors', async () => {
    const caller = client();
    await expect(
      caller.getToken({ audience: 'ms_doctor', scope: 'doctors:write' }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_SCOPE', oauthError: 'invalid_scope' });
    const err = await caller.getToken({ audience: 'ms_college' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenClientError);
    expect((err as TokenClientError).oauthError).toBe('invalid_target');
    expect(tokenRequests).toBe(2);
  });
});

describe('client.fetch against a resource server that uses @m2m-auth/verifier', () => {
  let resource: Server;
  let resourceUrl: string;

  async function startResourceServer(): Promise<void> {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: 'ms_doctor',
      jwksUri: `${authUrl}/.well-known/jwks.json`,
      logger: false,
    });
    const app = express();
    app.get(
      '/doctors/api/some-data',
      requireToken({ verifier, scopes: ['doctors:read'] }),
      (req, res) => {
        res.json({ caller: req.auth?.clientId, scopes: req.auth?.scopes });
      },
    );
    app.get(
      '/doctors/api/write',
      requireToken({ verifier, scopes: ['doctors:write'] }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    resource = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    resourceUrl = `http://127.0.0.1:${(resource.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    resource?.closeAllConnections();
    await new Promise((resolve) => resource?.close(resolve));
  });

  it('reaches the resource server with one call and the three environment variables', async () => {
    await startResourceServer();
    const caller = client();
    const res = await caller.fetch(
      `${resourceUrl}/doctors/api/some-data`,
      {},
      { audience: 'ms_doctor', scope: 'doctors:read' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ caller: admin.clientId, scopes: ['doctors:read'] });
  });

  it('gets a new token and retries once when the resource server says invalid_token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const caller = client();
    const revoked = await caller.getToken({ audience: 'ms_doctor' });
    // The signing key of the cached token is revoked (a compromise): the JWKS drops it at once
    // and the server signs with a new key. A resource server started now rejects the old token.
    const { kid } = header(revoked);
    await store.keys.revoke(kid);
    await startResourceServer();
    vi.advanceTimersByTime(1_000); // older than the one-second guard against 401 storms

    const seen: string[] = [];
    resource.prependListener('request', (req) => {
      seen.push(String(req.headers.authorization).slice(7));
    });
    const res = await caller.fetch(
      `${resourceUrl}/doctors/api/some-data`,
      {},
      { audience: 'ms_doctor' },
    );
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(revoked);
    expect(header(seen[1] ?? '').kid).not.toBe(kid);
    expect(tokenRequests).toBe(2);
  });

  it('returns a 403 insufficient_scope as it is, without a new token or a retry', async () => {
    await startResourceServer();
    const caller = client();
    await caller.getToken({ audience: 'ms_doctor' });
    let calls = 0;
    resource.prependListener('request', () => {
      calls++;
    });
    const res = await caller.fetch(
      `${resourceUrl}/doctors/api/write`,
      {},
      { audience: 'ms_doctor' },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(calls).toBe(1);
    expect(tokenRequests).toBe(1);
  });
});

// Last: restarting the server leaves the global fetch pool with sockets the old instance closed,
// which a following test would see as one retried network error.
describe('client while the authorization server is down', () => {
  it('keeps retrying while the authorization server is down and gets a token once it is back', async () => {
    const port = auth?.port ?? 0;
    const attempts: number[] = [];
    const counting: typeof fetch = (input, init) => {
      attempts.push(Date.now());
      return fetch(input, init);
    };
    const caller = client({
      fetch: counting,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 100,
      totalTimeoutMs: 20_000,
    });
    await stopAuthServer();
    try {
      const pending = caller.getToken({ audience: 'ms_doctor' });
      await until('three connections were refused', () => attempts.length >= 3, { intervalMs: 0 });
      await startAuthServer(port);
      const token = await pending;
      expect(claims(token).aud).toBe('ms_doctor');
      expect(tokenRequests).toBe(1);
      expect(attempts.length).toBeGreaterThanOrEqual(4);
    } finally {
      if (auth === undefined) await startAuthServer(port);
    }
  });

  it('keeps serving a cached token while the authorization server is down', async () => {
    const port = auth?.port ?? 0;
    const caller = client({ refreshSkewSec: 0 });
    const token = await caller.getToken({ audience: 'ms_doctor' });
    await stopAuthServer();
    try {
      expect(await caller.getToken({ audience: 'ms_doctor' })).toBe(token);
    } finally {
      await startAuthServer(port);
    }
  });
});

/** Decodes a JWT part for assertions (the test reads claims; the client never does). */
function decode(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
}
function claims(token: string) {
  return decode(token, 1) as { iat: number; exp: number; jti: string; aud: string };
}
function header(token: string) {
  return decode(token, 0) as { kid: string };
}

/** Polls (real time, bounded) until `condition()`, letting real I/O run. */
/** Calls `get` until it returns something other than `previous` (bounded in real time). */
async function untilChanged(get: () => Promise<string>, previous: string): Promise<string> {
  const limit = performance.now() + 10_000;
  for (;;) {
    const value = await get();
    if (value !== previous) return value;
    if (performance.now() > limit) throw new Error('value did not change within 10 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
