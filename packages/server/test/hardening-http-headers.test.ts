/**
 * HTTP hygiene over real HTTP: security headers on every response, no caching of token answers,
 * no framework banner, no CORS.
 */
import { buildServer } from '@m2m-auth/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  exchangeRaw,
  postForm,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
let client: { clientId: string; clientSecret: string };
beforeAll(async () => {
  auth = await startTestAuthServer();
  client = await auth.createClient({ name: 'svc', audiences: ['ms_doctor'] });
});
afterAll(async () => {
  await auth?.close();
});

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

function expectSecurityHeaders(headers: Headers, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    expect(headers.get(name), `${name} on ${what}`).toBe(value);
  }
  expect(headers.get('server'), `server on ${what}`).toBeNull();
  expect(headers.get('x-powered-by'), `x-powered-by on ${what}`).toBeNull();
  expect(headers.get('access-control-allow-origin'), `CORS on ${what}`).toBeNull();
}

describe('security headers', () => {
  it('are on every answer: tokens, refusals, metadata, JWKS, health, 404, 405', async () => {
    const answers: [string, Response][] = [
      [
        'token 200',
        await postForm(
          auth.tokenUrl,
          { grant_type: 'client_credentials' },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        ),
      ],
      ['token 401', await postForm(auth.tokenUrl, { grant_type: 'client_credentials' })],
      [
        'token 400',
        await fetch(auth.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
      ],
      ['metadata', await fetch(`${auth.url}/.well-known/oauth-authorization-server`)],
      ['jwks', await fetch(`${auth.url}/.well-known/jwks.json`)],
      ['healthz', await fetch(`${auth.url}/healthz`)],
      ['404', await fetch(`${auth.url}/admin`)],
      ['405', await fetch(auth.tokenUrl)],
    ];
    for (const [what, res] of answers) {
      expectSecurityHeaders(res.headers, what);
      await res.arrayBuffer();
    }
  });

  it('are on the answers written before Fastify sees a request (malformed HTTP)', async () => {
    const reply = await exchangeRaw(auth.url, ['NOT HTTP AT ALL\r\n\r\n']);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(reply.toLowerCase()).toContain(`${name}: ${value.toLowerCase()}`);
    }
  });

  it('include HSTS only when the issuer is an https URL', async () => {
    const plain = await fetch(`${auth.url}/healthz`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    const app = buildServer({ store: auth.store, issuer: 'https://auth.example' });
    try {
      const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await app.close();
    }
  });
});

describe('caching', () => {
  it('marks token answers, successes and errors alike, no-store and no-cache', async () => {
    for (const res of [
      await postForm(
        auth.tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      ),
      await postForm(auth.tokenUrl, { grant_type: 'client_credentials' }),
    ]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      await res.arrayBuffer();
    }
  });

  it('lets only the JWKS and the metadata be cached, and marks every other answer no-store', async () => {
    expect((await fetch(`${auth.url}/.well-known/jwks.json`)).headers.get('cache-control')).toBe(
      'public, max-age=300',
    );
    expect(
      (await fetch(`${auth.url}/.well-known/oauth-authorization-server`)).headers.get(
        'cache-control',
      ),
    ).toBe('public, max-age=300');
    expect((await fetch(`${auth.url}/nope`)).headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${auth.url}/healthz`)).headers.get('cache-control')).toBe('no-store');
  });
});

describe('CORS', () => {
  it('is off: a preflight gets no Access-Control headers, and neither does a cross-origin GET', async () => {
    const preflight = await fetch(auth.tokenUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    for (const [name] of preflight.headers) expect(name).not.toMatch(/^access-control-/);
    const jwks = await fetch(`${auth.url}/.well-known/jwks.json`, {
      headers: { origin: 'https://evil.example' },
    });
    for (const [name] of jwks.headers) expect(name).not.toMatch(/^access-control-/);
  });
});
