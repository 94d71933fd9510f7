import { startServer } from '@m2m-auth/server';
import { DEFAULT_JWKS_MAX_AGE_SEC } from '@m2m-auth/server/http';
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  basicAuth,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
beforeEach(async () => {
  auth = await startTestAuthServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await auth?.close();
});

async function kidOfNewToken(client: { clientId: string; clientSecret: string }) {
  const res = await readResponse(
    await postForm(
      auth.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    ),
  );
  expect(res.status).toBe(200);
  return decodeProtectedHeader(String(res.body.access_token)).kid;
}

async function jwks(url = auth.url): Promise<{ kid: string; [k: string]: unknown }[]> {
  const res = await readResponse(await fetch(`${url}/.well-known/jwks.json`));
  expect(res.status).toBe(200);
  return res.body.keys as { kid: string }[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('JWK Set (RFC 7517 §5) at /.well-known/jwks.json', () => {
  it('publishes the active key as a public signing JWK with kid and alg', async () => {
    const keys = await jwks();
    const active = await auth.cli.keys.active();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: active?.kid, alg: 'RS256', use: 'sig' });
    for (const member of PRIVATE_MEMBERS) expect(keys[0]).not.toHaveProperty(member);
  });

  it('sends Cache-Control with the default max-age of 300 seconds', async () => {
    const res = await fetch(`${auth.url}/.well-known/jwks.json`);
    expect(DEFAULT_JWKS_MAX_AGE_SEC).toBe(300);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('sends the configured max-age', async () => {
    const server = await startServer({ store: auth.store, port: 0, jwksMaxAgeSec: 42 });
    try {
      const res = await fetch(`${server.url}/.well-known/jwks.json`);
      expect(res.headers.get('cache-control')).toBe('public, max-age=42');
    } finally {
      await server.close();
    }
  });

  it('publishes a next key before it signs, then the retired key after the switch', async () => {
    const first = (await auth.cli.keys.active())!.kid;
    const rotation = await auth.cli.keys.rotate({ propagationSec: 600 });
    const next = rotation.created[0]!.kid;
    expect(new Set((await jwks()).map((key) => key.kid))).toEqual(new Set([first, next]));

    const client = await auth.createClient({ name: 'c', audiences: ['svc'] });
    expect(await kidOfNewToken(client)).toBe(first);

    await auth.cli.keys.rotate({ immediately: true });
    const states = new Map((await auth.cli.keys.list()).map((key) => [key.kid, key.state]));
    const published = (await jwks()).map((key) => key.kid);
    for (const kid of published) expect(['active', 'next', 'retired']).toContain(states.get(kid));
    expect(published).toContain(first);
    expect(states.get(first)).toBe('retired');
    const signing = await kidOfNewToken(client);
    expect(states.get(String(signing))).toBe('active');
    expect(published).toContain(signing);
  });

  it('drops a revoked key from the next answer and signs with its replacement', async () => {
    const client = await auth.createClient({ name: 'c', audiences: ['svc'] });
    const first = (await auth.cli.keys.active())!.kid;
    await auth.cli.keys.revoke(first);
    const kids = (await jwks()).map((key) => key.kid);
    expect(kids).not.toContain(first);
    const signing = await kidOfNewToken(client);
    expect(signing).not.toBe(first);
    expect(kids).toContain(signing);
  });

  it('switches to the next key at its activation time, without a restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const client = await auth.createClient({ name: 'c', audiences: ['svc'] });
    const first = (await auth.cli.keys.active())!.kid;
    const next = (await auth.cli.keys.rotate({ propagationSec: 600 })).created[0]!.kid;
    expect(await kidOfNewToken(client)).toBe(first);
    vi.setSystemTime(new Date('2030-01-01T00:09:59Z'));
    expect(await kidOfNewToken(client)).toBe(first);
    vi.setSystemTime(new Date('2030-01-01T00:10:00Z'));
    expect(await kidOfNewToken(client)).toBe(next);
    const kids = (await jwks()).map((key) => key.kid);
    expect(kids).toEqual(expect.arrayContaining([first, next]));
  });
});
