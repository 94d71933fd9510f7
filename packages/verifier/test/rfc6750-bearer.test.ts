/**
 * RFC 6750 over real HTTP: the Express and Fastify adapters (and the framework-agnostic pieces
 * under them) on 127.0.0.1, port 0. §2.1 header syntax, §3 challenges and status codes, and the
 * rule that no malformed header ever produces a 500.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBearerErrorResponse,
  createVerifier,
  extractBearerToken,
  isScopeToken,
  readAuthorizationHeader,
  type Verifier,
  VerifierError,
} from '@m2m-auth/verifier';
import { requireToken as expressRequireToken } from '@m2m-auth/verifier/express';
import { requireToken as fastifyRequireToken, fastifyVerifier } from '@m2m-auth/verifier/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJwksServer } from './helpers/jwks-server.js';
import {
  AUDIENCE,
  CLIENT_ID,
  createTestKey,
  ISSUER,
  mintToken,
  type TestKey,
} from './helpers/tokens.js';

interface App {
  readonly url: string;
  close(): Promise<void>;
}

async function startExpress(verifier: Verifier): Promise<App> {
  const app = express();
  app.get('/doctors', expressRequireToken({ verifier, scopes: ['doctors:read'] }), (req, res) => {
    res.json({ clientId: req.auth?.clientId, scopes: req.auth?.scopes });
  });
  app.get('/any', expressRequireToken({ verifier }), (req, res) => {
    res.json({ clientId: req.auth?.clientId });
  });
  app.get('/public', (req, res) => {
    res.json({ auth: req.auth ?? null });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startFastify(verifier: Verifier): Promise<App> {
  const app = Fastify();
  await app.register(fastifyVerifier, { verifier });
  app.get(
    '/doctors',
    { onRequest: app.requireToken({ scopes: ['doctors:read'] }) },
    async (request) => ({
      clientId: request.auth?.clientId,
      scopes: request.auth?.scopes,
    }),
  );
  // The standalone onRequest hook works the same way.
  app.get('/any', { onRequest: fastifyRequireToken({ verifier }) }, async (request) => ({
    clientId: request.auth?.clientId,
  }));
  app.get('/public', async (request) => ({ auth: request.auth }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}

interface Answer {
  status: number;
  challenge: string | undefined;
  body: Record<string, unknown>;
}

/** A raw HTTP GET (node:http, so duplicate and odd headers reach the server as written). */
function get(url: string, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          status: res.statusCode ?? 0,
          challenge: res.headers['www-authenticate'],
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let key: TestKey;
let verifier: Verifier;

beforeAll(async () => {
  key = await createTestKey('ES256');
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    logger: false,
  });
});

describe.each([
  ['Express', startExpress],
  ['Fastify', startFastify],
])('%s adapter', (_name, start) => {
  let app: App;
  beforeAll(async () => {
    app = await start(verifier);
  });
  afterAll(() => app.close());

  it('lets a valid token through and gives the handler clientId and scopes', async () => {
    const token = await mintToken(key, { scope: 'doctors:read patients:read' });
    for (let i = 0; i < 3; i++) {
      // The second and third requests are served from the verified-token cache.
      const answer = await get(`${app.url}/doctors`, { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        clientId: CLIENT_ID,
        scopes: ['doctors:read', 'patients:read'],
      });
    }
  });

  it('accepts the scheme in any casing', async () => {
    const token = await mintToken(key);
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await get(`${app.url}/any`, { authorization: `${scheme} ${token}` })).status).toBe(
        200,
      );
    }
  });

  it('leaves unprotected routes alone', async () => {
    const answer = await get(`${app.url}/public`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ auth: null });
  });

  it('answers a request without a token with 401 and a challenge without error code', async () => {
    const answer = await get(`${app.url}/any`);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(`Bearer realm="${AUDIENCE}"`);
    expect(answer.body).toEqual({
      error: 'unauthorized',
      error_description: 'no Authorization header',
    });
  });

  it('answers another scheme with 401 and no error code', async () => {
    const answer = await get(`${app.url}/any`, { authorization: 'Basic bXM6c2VjcmV0' });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(`Bearer realm="${AUDIENCE}"`);
  });

  it('answers an invalid token with 401 invalid_token and the reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintToken(key, { iat: now - 1000, exp: now - 100 });
    const answer = await get(`${app.url}/any`, { authorization: `Bearer ${expired}` });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(
      `Bearer realm="${AUDIENCE}", error="invalid_token", error_description="token expired (exp claim)"`,
    );
    expect(answer.body).toEqual({
      error: 'invalid_token',
      error_description: 'token expired (exp claim)',
    });
  });

  it('answers a valid token without the route scope with 403 insufficient_scope and the scope needed', async () => {
    const token = await mintToken(key, { scope: 'patients:read' });
    const answer = await get(`${app.url}/doctors`, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(403);
    expect(answer.challenge).toBe(
      `Bearer realm="${AUDIENCE}", error="insufficient_scope", error_description="token lacks a required scope", scope="doctors:read"`,
    );
    expect(answer.body).toMatchObject({ error: 'insufficient_scope' });
  });

  it('answers a malformed header, two tokens or two headers with 400 invalid_request', async () => {
    const token = await mintToken(key);
    const cases: OutgoingHttpHeaders[] = [
      { authorization: 'Bearer' },
      { authorization: `Bearer ${token} ${token}` },
      { authorization: `Bearer ${token}, Bearer ${token}` },
      { authorization: 'Bearer a"b' },
      // Sent as two header lines (Node's types only allow one `authorization`, hence the casing).
      { Authorization: [`Bearer ${token}`, `Bearer ${token}`] },
    ];
    for (const headers of cases) {
      const answer = await get(`${app.url}/any`, headers);
      expect(answer.status).toBe(400);
      expect(answer.challenge).toMatch(/^Bearer realm="ms_doctor", error="invalid_request", /);
      expect(answer.body).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('answers an oversized token with 401 without parsing it', async () => {
    const answer = await get(`${app.url}/any`, { authorization: `Bearer ${'a'.repeat(9000)}` });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_token' });
  });

  it('never answers 500 to a malformed Authorization header', async () => {
    const odd = [
      '',
      ' ',
      'Bearer ',
      'Bearer    ',
      'bearer\tabc',
      'Bearer ====',
      'Bearer =abc',
      'Bearer a.b.c',
      'Bearer ...',
      'Bearer a..',
      'Bearer .',
      'Bearer ~+/',
      'Bearer e30.e30.e30',
      'Bearer eyJhbGciOiJub25lIn0.e30.',
      '\u00e9\u00e9\u00e9',
      'Bearer \u00e9',
      'Bearer,',
      ',',
      '====',
      'Bearer Bearer',
      'Negotiate',
      'Bearer=abc',
      '"Bearer" abc',
    ];
    for (const authorization of odd) {
      const answer = await get(`${app.url}/any`, { authorization });
      expect([400, 401], `for ${JSON.stringify(authorization)}`).toContain(answer.status);
      expect(answer.body).toHaveProperty('error');
    }
  });
});

describe('an unreachable JWKS through an adapter', () => {
  it('answers 503 temporarily_unavailable without a challenge', async () => {
    const jwks = await startJwksServer();
    await jwks.stop();
    const outage = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      logger: false,
    });
    const app = await startExpress(outage);
    const fastify = await startFastify(outage);
    try {
      for (const url of [app.url, fastify.url]) {
        const answer = await get(`${url}/any`, { authorization: `Bearer ${await mintToken(key)}` });
        expect(answer.status).toBe(503);
        expect(answer.challenge).toBeUndefined();
        expect(answer.body).toMatchObject({ error: 'temporarily_unavailable' });
      }
    } finally {
      await app.close();
      await fastify.close();
    }
  });
});

describe('adapter construction', () => {
  it('throws TypeError without a verifier or with a scope that is not a scope token', () => {
    expect(() => expressRequireToken({} as never)).toThrow(TypeError);
    expect(() => fastifyRequireToken({ verifier, scopes: ['two words'] })).toThrow(TypeError);
    expect(() => expressRequireToken({ verifier, scopes: ['a"b'] })).toThrow(TypeError);
  });

  it('makes the Fastify plugin fail to register without a verifier', async () => {
    const app = Fastify();
    await expect(app.register(fastifyVerifier, {} as never)).rejects.toThrow(TypeError);
  });
});

describe('the framework-agnostic pieces', () => {
  it('extracts a bearer token and classifies every malformed header', () => {
    expect(extractBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractBearerToken('bearer   abc')).toBe('abc');
    expect(extractBearerToken(['Bearer abc'])).toBe('abc');
    const code = (value: string | string[] | undefined) => {
      try {
        extractBearerToken(value);
        return 'ok';
      } catch (err) {
        return (err as VerifierError).code;
      }
    };
    expect(code(undefined)).toBe('ERR_TOKEN_MISSING');
    expect(code('')).toBe('ERR_TOKEN_MISSING');
    expect(code([])).toBe('ERR_TOKEN_MISSING');
    expect(code('Basic abc')).toBe('ERR_AUTH_SCHEME_UNSUPPORTED');
    expect(code('Bearer')).toBe('ERR_REQUEST_MALFORMED');
    expect(code('Bearer a b')).toBe('ERR_REQUEST_MALFORMED');
    expect(code('Bearer a,b')).toBe('ERR_REQUEST_MALFORMED');
    expect(code(['Bearer a', 'Bearer b'])).toBe('ERR_REQUEST_MALFORMED');
    expect(code('Bearer =a')).toBe('ERR_REQUEST_MALFORMED');
    expect(code('"quoted" x')).toBe('ERR_REQUEST_MALFORMED');
    expect(code(`Bearer ${'a'.repeat(8193)}`)).toBe('ERR_TOKEN_TOO_LARGE');
  });

  it('tells scope tokens (RFC 6749 §3.3) from strings that are not', () => {
    for (const scope of ['doctors:read', 'a', '!#[]~', 'https://api.test/x']) {
      expect(isScopeToken(scope)).toBe(true);
    }
    for (const scope of ['', 'a b', 'a"b', 'a\\b', 'é', 'a\tb'])
      expect(isScopeToken(scope)).toBe(false);
  });

  it('reads every Authorization header of a request, which Node would reduce to the first', () => {
    expect(readAuthorizationHeader(['Host', 'x', 'Authorization', 'Bearer a'])).toBe('Bearer a');
    expect(readAuthorizationHeader(['authorization', 'a', 'AUTHORIZATION', 'b'])).toEqual([
      'a',
      'b',
    ]);
    expect(readAuthorizationHeader(['Host', 'x'])).toBeUndefined();
  });

  it('authenticates a header and serves repeats from the cache without a promise', async () => {
    const token = await mintToken(key);
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBeUndefined();
    const auth = await verifier.authenticate(`Bearer ${token}`);
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBe(auth);
  });

  it('escapes quotes and backslashes in the realm and strips what a header cannot carry', () => {
    const err = new VerifierError('ERR_TOKEN_EXPIRED', 'token "expired"\r\nX-Injected: 1');
    const response = createBearerErrorResponse(err, { realm: 'say "hi" \\ there\r\nX: y' });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="say \\"hi\\" \\\\ thereX: y", error="invalid_token", error_description="token expiredX-Injected: 1"',
    );
    expect(response.body.error_description).toBe('token expiredX-Injected: 1');
  });

  it('omits the realm when none is given and lists the required scopes for insufficient_scope', () => {
    const err = new VerifierError('ERR_INSUFFICIENT_SCOPE', 'token lacks a required scope', {
      requiredScopes: ['doctors:read', 'doctors:write'],
    });
    const response = createBearerErrorResponse(err);
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="doctors:read doctors:write"',
    );
  });
});
