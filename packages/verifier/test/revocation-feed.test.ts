/**
 * The verifier's revocation feed against a real HTTP server on loopback: covered tokens fail with
 * ERR_TOKEN_REVOKED and leave the cache, concurrent verifications share one fetch, the last list
 * is kept while the feed is down, and once stale beyond the bound the verifier refuses (default)
 * or keeps accepting, as configured.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, type VerifierOptions } from '@m2m-auth/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import {
  AUDIENCE,
  CLIENT_ID,
  createTestKey,
  ISSUER,
  mintToken,
  type TestKey,
} from './helpers/tokens.js';

interface FeedServer {
  url: string;
  requests: number;
  /** 'ok' serves `body`; 'down' answers 503. */
  mode: 'ok' | 'down';
  body: {
    iss: string;
    revoked_clients: { client_id: string }[];
    revoked_tokens: { jti: string }[];
  };
  server: Server;
}

async function startFeedServer(): Promise<FeedServer> {
  const feed: FeedServer = {
    url: '',
    requests: 0,
    mode: 'ok',
    body: { iss: ISSUER, revoked_clients: [], revoked_tokens: [] },
    server: createServer((req, res) => {
      feed.requests++;
      if (feed.mode === 'down') {
        res.writeHead(503).end();
        return;
      }
      const text = JSON.stringify(feed.body);
      const etag = `"${Buffer.from(text).toString('base64url').slice(-40)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(text);
    }),
  };
  await new Promise<void>((resolve) => feed.server.listen(0, '127.0.0.1', resolve));
  feed.url = `http://127.0.0.1:${(feed.server.address() as AddressInfo).port}/revocations`;
  return feed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('revocation feed in the verifier', () => {
  let key: TestKey;
  let feed: FeedServer;
  const warnings: string[] = [];
  const make = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      revocationsUri: feed.url,
      revocationsPollIntervalSec: 0.1,
      logger: { warn: (message) => warnings.push(message) },
      ...options,
    });

  beforeAll(async () => {
    key = await createTestKey('ES256');
    feed = await startFeedServer();
  });
  afterAll(async () => {
    await new Promise((resolve) => feed.server.close(resolve));
  });

  it('refuses listed jtis and clients, drops them from the cache, shares one fetch between concurrent verifications', async () => {
    feed.mode = 'ok';
    feed.body = { iss: ISSUER, revoked_clients: [], revoked_tokens: [] };
    const requestsBefore = feed.requests;
    const verifier = make({ revocationsPollIntervalSec: 60, revocationsMaxStaleSec: 60 });
    try {
      const token = await mintToken(key, { jti: 'jti-1' });
      const other = await mintToken(key, { client_id: 'ms_other', sub: 'ms_other' });
      const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
      expect(results.every((claims) => claims.jti === 'jti-1')).toBe(true);
      // The start-up fetch, shared by all twenty.
      expect(feed.requests - requestsBefore).toBe(1);
      expect(verifier.authenticateCached(`Bearer ${token}`)?.clientId).toBe(CLIENT_ID);

      feed.body = { iss: ISSUER, revoked_clients: [], revoked_tokens: [{ jti: 'jti-1' }] };
      const verifier2 = make();
      try {
        expect(await codeOf(verifier2.verify(token))).toBe('ERR_TOKEN_REVOKED');
        expect((await verifier2.verify(other)).client_id).toBe('ms_other');
      } finally {
        verifier2.close();
      }

      feed.body = { iss: ISSUER, revoked_clients: [{ client_id: CLIENT_ID }], revoked_tokens: [] };
      const verifier3 = make();
      try {
        await verifier3.verify(other);
        expect(await codeOf(verifier3.verify(token))).toBe('ERR_TOKEN_REVOKED');
        expect(verifier3.revocationStatus()).toMatchObject({ revokedClients: 1, stale: false });
      } finally {
        verifier3.close();
      }
    } finally {
      verifier.close();
    }
  });

  it('picks up a change within one poll interval and drops the cached token', async () => {
    feed.mode = 'ok';
    feed.body = { iss: ISSUER, revoked_clients: [], revoked_tokens: [] };
    const verifier = make();
    try {
      const token = await mintToken(key);
      await verifier.verify(token);
      expect(verifier.authenticateCached(`Bearer ${token}`)).toBeDefined();
      feed.body = { iss: ISSUER, revoked_clients: [{ client_id: CLIENT_ID }], revoked_tokens: [] };
      await sleep(400);
      expect(verifier.authenticateCached(`Bearer ${token}`)).toBeUndefined();
      expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_REVOKED');
    } finally {
      verifier.close();
    }
  });

  it('keeps the last list while the feed is down, then refuses once stale beyond the bound (default), logging both', async () => {
    feed.mode = 'ok';
    feed.body = { iss: ISSUER, revoked_clients: [], revoked_tokens: [{ jti: 'gone' }] };
    warnings.length = 0;
    const verifier = make({ revocationsMaxStaleSec: 0.5 });
    try {
      const token = await mintToken(key);
      const revoked = await mintToken(key, { jti: 'gone' });
      await verifier.verify(token);
      feed.mode = 'down';
      await sleep(250);
      // Within the bound: the last list still decides.
      expect((await verifier.verify(token)).client_id).toBe(CLIENT_ID);
      expect(await codeOf(verifier.verify(revoked))).toBe('ERR_TOKEN_REVOKED');
      expect(verifier.revocationStatus()?.lastError).toMatch(/HTTP 503/);
      await sleep(500);
      expect(verifier.revocationStatus()?.stale).toBe(true);
      expect(await codeOf(verifier.verify(token))).toBe('ERR_REVOCATIONS_UNAVAILABLE');
      expect(verifier.authenticateCached(`Bearer ${token}`)).toBeUndefined();
      expect(warnings.some((w) => /unreachable/.test(w))).toBe(true);
      expect(warnings.some((w) => /refusing tokens/.test(w))).toBe(true);
      feed.mode = 'ok';
      await sleep(300);
      expect((await verifier.verify(token)).client_id).toBe(CLIENT_ID);
      expect(warnings.some((w) => /reachable again/.test(w))).toBe(true);
    } finally {
      verifier.close();
    }
  });

  it('keeps accepting with the last list when revocationsWhenStale is "accept"', async () => {
    feed.mode = 'down';
    const verifier = make({ revocationsMaxStaleSec: 0.2, revocationsWhenStale: 'accept' });
    try {
      const token = await mintToken(key);
      // Never fetched: accepted with an empty list, stale, and said so.
      expect((await verifier.verify(token)).client_id).toBe(CLIENT_ID);
      await sleep(300);
      expect(verifier.revocationStatus()).toMatchObject({ stale: true, fetchedAt: undefined });
      expect((await verifier.verify(token)).client_id).toBe(CLIENT_ID);
    } finally {
      verifier.close();
    }
  });

  it('refuses a feed of another issuer and, never fetched, refuses tokens by default', async () => {
    feed.mode = 'ok';
    feed.body = { iss: 'https://evil.test', revoked_clients: [], revoked_tokens: [] };
    const verifier = make();
    try {
      expect(await codeOf(verifier.verify(await mintToken(key)))).toBe(
        'ERR_REVOCATIONS_UNAVAILABLE',
      );
      expect(verifier.revocationStatus()?.lastError).toMatch(/iss is not the configured issuer/);
    } finally {
      verifier.close();
    }
  });

  it('rejects misused options at construction', () => {
    const base = {
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      logger: false as const,
    };
    expect(() => createVerifier({ ...base, revocationsPollIntervalSec: 1 })).toThrow(
      /revocationsPollIntervalSec needs revocationsUri/,
    );
    expect(() =>
      createVerifier({ ...base, revocationsUri: 'http://auth.example/revocations' }),
    ).toThrow(/revocationsUri must use https/);
    expect(() =>
      createVerifier({ ...base, revocationsUri: feed.url, revocationsWhenStale: 'maybe' as never }),
    ).toThrow(/revocationsWhenStale must be "refuse" or "accept"/);
    expect(() =>
      createVerifier({
        ...base,
        revocationsUri: feed.url,
        revocationsPollIntervalSec: 10,
        revocationsMaxStaleSec: 5,
      }),
    ).toThrow(/revocationsMaxStaleSec must not be shorter/);
  });
});
