/**
 * One table of requests, sent over real HTTP on 127.0.0.1 to the same routes in Express, Fastify,
 * Hono, Koa and NestJS (see helpers/adapter-apps.ts): every framework must give every request the
 * same answer (status, RFC 6750 challenge, cache-control, content type, JSON body) as Express, and
 * that answer must be the one RFC 6750 §3 asks for. Also per framework: the verified-token cache's
 * synchronous path is taken on a repeat, and a protected route answers before the request body
 * has arrived (authentication before body parsing).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createVerifier, type Verifier } from '@m2m-auth/verifier';
import { type AuthEnv, requireToken as honoRequireToken } from '@m2m-auth/verifier/hono';
import { requireToken as koaRequireToken } from '@m2m-auth/verifier/koa';
import { Auth, M2MAuthModule, RequireScopes } from '@m2m-auth/verifier/nest';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, FRAMEWORKS, startExpress } from './helpers/adapter-apps.js';
import { startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, CLIENT_ID, createTestKey, ISSUER, mintToken } from './helpers/tokens.js';

interface Answer {
  status: number;
  wwwAuthenticate: string | undefined;
  cacheControl: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/**
 * A request through node:http with raw header lines (so a header can be sent twice); the answer
 * with the headers this table compares. A success's content type is reduced to its media type:
 * the handlers, not the adapters, write those.
 */
function send(url: string, method: string, rawHeaders: string[], body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // With raw header lines Node adds no Host header of its own.
    const headers = ['Host', new URL(url).host, ...rawHeaders];
    if (body !== undefined) {
      headers.push('Content-Type', 'application/json', 'Content-Length', String(body.length));
    }
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const status = res.statusCode ?? 0;
        const contentType = res.headers['content-type'];
        resolve({
          status,
          wwwAuthenticate: res.headers['www-authenticate'],
          cacheControl: res.headers['cache-control'],
          contentType: status < 300 ? contentType?.split(';')[0] : contentType,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends the head of a POST announcing a 1 MiB JSON body and only its first bytes, then resolves
 * with the status of the answer: a server that read the body before authenticating would still
 * be waiting for the rest (and the test would time out).
 */
function statusBeforeBody(url: string, rawHeaders: string[]): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      received += chunk;
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (status !== null) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    const lines = [`POST /doctors HTTP/1.1`, `Host: 127.0.0.1:${port}`];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2)
      lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
    lines.push('Content-Type: application/json', 'Content-Length: 1048576', '', '{"name":');
    socket.write(lines.join('\r\n'));
  });
}

interface Tokens {
  readDoctors: string;
  writeDoctors: string;
  expired: string;
  otherAudience: string;
  otherKey: string;
}

interface Case {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: (tokens: Tokens) => string[];
  readonly body?: string;
  /** What RFC 6750 §3 asks for: status, the challenge's start, the body's `error`. */
  readonly expected: { status: number; challenge: RegExp | undefined; error: string | undefined };
}

const REALM = `Bearer realm="${AUDIENCE}"`;
const bearer = (token: string) => ['Authorization', `Bearer ${token}`];

const CASES: readonly Case[] = [
  {
    name: 'no Authorization header: 401, a challenge without error code',
    method: 'GET',
    path: '/doctors',
    headers: () => [],
    expected: { status: 401, challenge: new RegExp(`^${REALM}$`), error: 'unauthorized' },
  },
  {
    name: 'another scheme: 401, a challenge without error code',
    method: 'GET',
    path: '/doctors',
    headers: () => ['Authorization', 'Basic bXM6c2VjcmV0'],
    expected: { status: 401, challenge: new RegExp(`^${REALM}$`), error: 'unauthorized' },
  },
  {
    name: 'a valid token with the route scope: 200 and the caller',
    method: 'GET',
    path: '/doctors',
    headers: (t) => bearer(t.readDoctors),
    expected: { status: 200, challenge: undefined, error: undefined },
  },
  {
    name: 'the scheme in another casing: 200',
    method: 'GET',
    path: '/doctors',
    headers: (t) => ['Authorization', `bEaReR ${t.readDoctors}`],
    expected: { status: 200, challenge: undefined, error: undefined },
  },
  {
    name: 'an expired token: 401 invalid_token',
    method: 'GET',
    path: '/doctors',
    headers: (t) => bearer(t.expired),
    expected: {
      status: 401,
      challenge:
        /^Bearer realm="ms_doctor", error="invalid_token", error_description="token expired/,
      error: 'invalid_token',
    },
  },
  {
    name: 'a token minted for another audience: 401 invalid_token',
    method: 'GET',
    path: '/doctors',
    headers: (t) => bearer(t.otherAudience),
    expected: {
      status: 401,
      challenge: /^Bearer realm="ms_doctor", error="invalid_token", /,
      error: 'invalid_token',
    },
  },
  {
    name: 'a token signed by another key: 401 invalid_token',
    method: 'GET',
    path: '/doctors',
    headers: (t) => bearer(t.otherKey),
    expected: {
      status: 401,
      challenge: /^Bearer realm="ms_doctor", error="invalid_token", /,
      error: 'invalid_token',
    },
  },
  {
    name: 'a token that is no JWS: 401 invalid_token',
    method: 'GET',
    path: '/doctors',
    headers: () => ['Authorization', 'Bearer abc.def.ghi'],
    expected: {
      status: 401,
      challenge: /^Bearer realm="ms_doctor", error="invalid_token", /,
      error: 'invalid_token',
    },
  },
  {
    name: 'an oversized token: 401 invalid_token',
    method: 'GET',
    path: '/doctors',
    headers: () => ['Authorization', `Bearer ${'a'.repeat(9000)}`],
    expected: {
      status: 401,
      challenge: /^Bearer realm="ms_doctor", error="invalid_token", /,
      error: 'invalid_token',
    },
  },
  {
    name: 'a valid token without the route scope: 403 insufficient_scope naming the scope',
    method: 'GET',
    path: '/doctors',
    headers: (t) => bearer(t.writeDoctors),
    expected: {
      status: 403,
      challenge:
        /^Bearer realm="ms_doctor", error="insufficient_scope", error_description="[^"]*", scope="doctors:read"$/,
      error: 'insufficient_scope',
    },
  },
  {
    name: 'the Bearer scheme without a token: 400 invalid_request',
    method: 'GET',
    path: '/doctors',
    headers: () => ['Authorization', 'Bearer'],
    expected: {
      status: 400,
      challenge: /^Bearer realm="ms_doctor", error="invalid_request", /,
      error: 'invalid_request',
    },
  },
  {
    name: 'two tokens in one header: 400 invalid_request',
    method: 'GET',
    path: '/doctors',
    headers: (t) => ['Authorization', `Bearer ${t.readDoctors} ${t.readDoctors}`],
    expected: {
      status: 400,
      challenge: /^Bearer realm="ms_doctor", error="invalid_request", /,
      error: 'invalid_request',
    },
  },
  {
    name: 'two Authorization headers: 400 invalid_request',
    method: 'GET',
    path: '/doctors',
    headers: (t) => [...bearer(t.readDoctors), ...bearer(t.readDoctors)],
    expected: {
      status: 400,
      challenge: /^Bearer realm="ms_doctor", error="invalid_request", /,
      error: 'invalid_request',
    },
  },
  {
    name: 'a token while the JWKS is unreachable: 503 without a challenge',
    method: 'GET',
    path: '/outage',
    headers: (t) => bearer(t.readDoctors),
    expected: { status: 503, challenge: undefined, error: 'temporarily_unavailable' },
  },
  {
    name: 'a POST with a token granting doctors:write: 200 and the parsed body',
    method: 'POST',
    path: '/doctors',
    headers: (t) => bearer(t.writeDoctors),
    body: '{"name":"Dr. Amara Okafor"}',
    expected: { status: 200, challenge: undefined, error: undefined },
  },
  {
    name: 'a POST with a read-only token: 403 insufficient_scope naming doctors:write',
    method: 'POST',
    path: '/doctors',
    headers: (t) => bearer(t.readDoctors),
    body: '{"name":"Dr. Amara Okafor"}',
    expected: { status: 403, challenge: /, scope="doctors:write"$/, error: 'insufficient_scope' },
  },
  {
    name: 'a POST without a token: 401',
    method: 'POST',
    path: '/doctors',
    headers: () => [],
    body: '{"name":"Dr. Amara Okafor"}',
    expected: { status: 401, challenge: new RegExp(`^${REALM}$`), error: 'unauthorized' },
  },
];

/**
 * Counts which path of the verifier an adapter took: the synchronous cache or a full verification
 * (synchronous with the keys at hand, or asynchronous).
 */
interface CountingVerifier extends Verifier {
  readonly counts: { full: number; cached: number };
}

function counting(verifier: Verifier): CountingVerifier {
  const counts = { full: 0, cached: 0 };
  return {
    counts,
    realm: verifier.realm,
    verify: (token, options) => verifier.verify(token, options),
    refreshKeys: () => verifier.refreshKeys(),
    revocationStatus: () => verifier.revocationStatus(),
    close: () => verifier.close(),
    authenticate(authorization, options) {
      counts.full++;
      return verifier.authenticate(authorization, options);
    },
    authenticateSync(authorization, options) {
      // undefined: the adapter goes on to authenticate(), which counts.
      const auth = verifier.authenticateSync(authorization, options);
      if (auth !== undefined) counts.full++;
      return auth;
    },
    authenticateCached(authorization, options) {
      const auth = verifier.authenticateCached(authorization, options);
      if (auth !== undefined) counts.cached++;
      return auth;
    },
  };
}

let tokens: Tokens;
let signingKey: Awaited<ReturnType<typeof createTestKey>>;
let makeVerifiers: () => { verifier: CountingVerifier; outage: Verifier };
let mintReadToken: () => Promise<string>;
let reference: Map<string, Answer>;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const key = await createTestKey('ES256');
  signingKey = key;
  const other = await createTestKey('ES256');
  const now = Math.floor(Date.now() / 1000);
  tokens = {
    readDoctors: await mintToken(key, { scope: 'doctors:read patients:read' }),
    writeDoctors: await mintToken(key, { scope: 'doctors:write' }),
    expired: await mintToken(key, { iat: now - 1000, exp: now - 100 }),
    otherAudience: await mintToken(key, { aud: 'ms_college' }),
    otherKey: await mintToken(other),
  };
  mintReadToken = () => mintToken(key, { scope: 'doctors:read' });
  const jwks = await startJwksServer();
  await jwks.stop();
  closers.push(() => jwks.close());
  makeVerifiers = () => ({
    verifier: counting(
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKey: key.publicPem,
        logger: false,
      }),
    ),
    outage: createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      logger: false,
    }),
  });

  // Express's answers are the reference the other frameworks are held to.
  const express = await startExpress(makeVerifiers());
  reference = new Map();
  try {
    for (const c of CASES) {
      reference.set(
        c.name,
        await send(`${express.url}${c.path}`, c.method, c.headers(tokens), c.body),
      );
    }
  } finally {
    await express.close();
  }
});

afterAll(async () => {
  for (const close of closers) await close();
});

describe('the reference answers', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const answer = reference.get(c.name) as Answer;
    expect(answer.status).toBe(c.expected.status);
    if (c.expected.challenge === undefined) expect(answer.wwwAuthenticate).toBeUndefined();
    else expect(answer.wwwAuthenticate).toMatch(c.expected.challenge);
    if (c.expected.error === undefined) {
      expect(answer.contentType).toBe('application/json');
      expect(answer.body).toMatchObject({ clientId: CLIENT_ID });
    } else {
      expect(answer.cacheControl).toBe('no-store');
      expect(answer.contentType).toBe('application/json; charset=utf-8');
      expect(answer.body).toEqual({
        error: c.expected.error,
        error_description: expect.any(String),
      });
    }
  });
});

describe.each(FRAMEWORKS)('%s', (_name, start) => {
  let app: App;
  let verifier: CountingVerifier;
  beforeAll(async () => {
    const verifiers = makeVerifiers();
    verifier = verifiers.verifier;
    app = await start(verifiers);
  });
  afterAll(() => app?.close());

  it('gives every request of the table the same answer as Express', async () => {
    for (const c of CASES) {
      const answer = await send(`${app.url}${c.path}`, c.method, c.headers(tokens), c.body);
      expect(answer, c.name).toEqual(reference.get(c.name));
    }
  });

  it('serves a repeated token from the verified-token cache without the full path', async () => {
    const token = await mintReadToken();
    const before = { ...verifier.counts };
    expect((await send(`${app.url}/doctors`, 'GET', bearer(token))).status).toBe(200);
    expect(verifier.counts.full).toBe(before.full + 1);
    expect((await send(`${app.url}/doctors`, 'GET', bearer(token))).status).toBe(200);
    expect(verifier.counts.full).toBe(before.full + 1);
    expect(verifier.counts.cached).toBeGreaterThan(before.cached);
  });

  it('refuses a request before its body has arrived', async () => {
    expect(await statusBeforeBody(app.url, [])).toBe(401);
    expect(await statusBeforeBody(app.url, bearer(tokens.readDoctors))).toBe(403);
    expect(await statusBeforeBody(app.url, bearer(tokens.expired))).toBe(401);
  });
});

describe('adapter options', () => {
  let verifier: Verifier;
  beforeAll(() => {
    verifier = makeVerifiers().verifier;
  });

  it('refuses an unknown option name with a TypeError when the route is declared', () => {
    for (const requireToken of [honoRequireToken, koaRequireToken]) {
      expect(() => requireToken({ verifier, scope: ['doctors:read'] } as never)).toThrow(
        /Unknown option "scope"/,
      );
      expect(() => requireToken({ verifier, scopes: ['two words'] })).toThrow(TypeError);
      expect(() => requireToken({} as never)).toThrow(TypeError);
    }
    expect(() => M2MAuthModule.forRoot({ verifier, realms: 'x' } as never)).toThrow(
      /Unknown option "realms"/,
    );
    expect(() => RequireScopes('two words')).toThrow(TypeError);
  });

  it('builds the Nest module from the environment names provision writes, and says which is missing', () => {
    expect(() => M2MAuthModule.forRoot({ env: {} })).toThrow(
      /OAUTH_PUBLIC_KEY_PATH or OAUTH_JWKS_URL/,
    );
    expect(() =>
      M2MAuthModule.forRoot({ env: { OAUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json' } }),
    ).toThrow(/OAUTH_ISSUER/);
    const module = M2MAuthModule.forRoot({
      env: {
        OAUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
        OAUTH_ISSUER: ISSUER,
        OAUTH_AUDIENCE: AUDIENCE,
      },
    });
    expect(module.global).toBe(true);
    expect(() => M2MAuthModule.forRoot({ verifier, verifierOptions: {} })).toThrow(TypeError);
  });
});

describe('Hono without Node bindings (in process, as on Bun or Deno)', () => {
  it("reads the header through Hono's request API and still refuses two Authorization headers", async () => {
    const { verifier } = makeVerifiers();
    const app = new Hono<AuthEnv>();
    app.get('/doctors', honoRequireToken({ verifier, scopes: ['doctors:read'] }), (c) =>
      c.json({ clientId: c.get('auth').clientId }),
    );
    const ok = await app.request('/doctors', {
      headers: { authorization: `Bearer ${tokens.readDoctors}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ clientId: CLIENT_ID });

    // Fetch joins the two lines with a comma: refused as two credentials.
    const headers = new Headers();
    headers.append('authorization', `Bearer ${tokens.readDoctors}`);
    headers.append('authorization', `Bearer ${tokens.readDoctors}`);
    const twice = await app.request('/doctors', { headers });
    expect(twice.status).toBe(400);
    expect(twice.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="ms_doctor", error="invalid_request", /,
    );
    expect(await twice.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('NestJS scopes on a controller and on its handler', () => {
  it('requires both, and names both in the challenge', async () => {
    const { verifier } = makeVerifiers();
    class WardsController {
      write(auth: { clientId: string }) {
        return { clientId: auth.clientId };
      }
    }
    const proto = WardsController.prototype;
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'write') as PropertyDescriptor;
    Get('wards')(proto, 'write', descriptor);
    RequireScopes('doctors:write')(proto, 'write', descriptor);
    Auth()(proto, 'write', 0);
    RequireScopes('doctors:read')(WardsController);
    Controller()(WardsController);
    class AppModule {}
    Module({ imports: [M2MAuthModule.forRoot({ verifier })], controllers: [WardsController] })(
      AppModule,
    );
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/wards`;
      const onlyWrite = await send(url, 'GET', bearer(tokens.writeDoctors));
      expect(onlyWrite.status).toBe(403);
      expect(onlyWrite.wwwAuthenticate).toMatch(/, scope="doctors:read doctors:write"$/);
      const onlyRead = await send(url, 'GET', bearer(tokens.readDoctors));
      expect(onlyRead.status).toBe(403);
      const both = await mintToken(signingKey, { scope: 'doctors:read doctors:write' });
      expect(await send(url, 'GET', bearer(both))).toMatchObject({
        status: 200,
        body: { clientId: CLIENT_ID },
      });
    } finally {
      await app.close();
    }
  });
});
