/**
 * An issuer with a path (`serve --issuer http://127.0.0.1:PORT/tenant1`, what a reverse proxy that
 * routes by path needs): every endpoint is served under the path, the metadata also at its RFC 8414
 * §3 location (`/.well-known/oauth-authorization-server/tenant1`), and every advertised endpoint
 * answers.
 */
import { createServer } from 'node:net';
import { buildServer, openStore, type Store } from '@m2m-auth/server';
import { createVerifier } from '@m2m-auth/verifier';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { basicAuth, readResponse } from './helpers/auth-server.js';
import { runCli, type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port free right now on 127.0.0.1 (the issuer must name it before the server starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase('sqlite');
  cleanups.push(() => db.drop());
  return db;
}

describe('m2m-auth serve --issuer with a path', () => {
  it('serves every advertised endpoint under the path and the metadata at the RFC 8414 §3 location', async () => {
    const db = await database();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      M2M_AUTH_KEK: randomKek(),
      DATABASE_URL: db.url,
    };
    delete env['M2M_AUTH_DEBUG'];
    const cwd = db.dir as string;
    const created = await runCli(
      ['client', 'create', 'ms_admin', '--audiences', 'ms_doctor', '--scopes', 'doctors:read'],
      { env, cwd },
    );
    const clientId = /client_id: +(\S+)/.exec(created)?.[1] as string;
    const secret = /client_secret: +(\S+)/.exec(created)?.[1] as string;

    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}/tenant1`;
    const served: ServeProcess = await startServeProcess(
      ['--port', String(port), '--issuer', issuer],
      { env, cwd },
    );
    cleanups.push(() => served.stop());
    const origin = `http://127.0.0.1:${port}`;

    const rfc8414 = await readResponse(
      await fetch(`${origin}/.well-known/oauth-authorization-server/tenant1`),
    );
    expect(rfc8414.status).toBe(200);
    expect(rfc8414.body).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
    });
    // Also under the issuer's path, where clients that append the suffix look.
    const appended = await readResponse(
      await fetch(`${issuer}/.well-known/oauth-authorization-server`),
    );
    expect(appended).toMatchObject({ status: 200, body: rfc8414.body });

    const token = await readResponse(
      await fetch(rfc8414.body['token_endpoint'] as string, {
        method: 'POST',
        headers: {
          authorization: basicAuth(clientId, secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }),
    );
    expect(token.status).toBe(200);
    const verifier = createVerifier({
      issuer,
      audience: 'ms_doctor',
      jwksUri: rfc8414.body['jwks_uri'] as string,
      allowInsecureHttp: true,
    });
    expect(await verifier.verify(token.body['access_token'] as string)).toMatchObject({
      iss: issuer,
      client_id: clientId,
    });

    // A refusal under the path is audited like any token request.
    const refused = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(clientId, 'wrong'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(refused.status).toBe(401);
    // serve writes its log asynchronously.
    await vi.waitFor(() =>
      expect(served.stdout()).toMatch(
        /"reason":"ERR_CLIENT_AUTH_FAILED"[^\n]*token request refused/,
      ),
    );

    // Introspection, revocation and the revocation feed answer where the metadata says.
    const accessToken = token.body['access_token'] as string;
    for (const key of ['introspection_endpoint', 'revocation_endpoint']) {
      const answer = await fetch(rfc8414.body[key] as string, {
        method: 'POST',
        headers: {
          authorization: basicAuth(clientId, secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: accessToken }),
      });
      // Not 404: introspection refuses a client without the introspect scope, revocation is 200.
      expect({ key, status: answer.status }).toEqual({
        key,
        status: key === 'revocation_endpoint' ? 200 : 403,
      });
    }
    expect((await fetch(`${issuer}/revocations`)).status).toBe(200);

    // The endpoints live under the issuer's path only; the health check is about the instance.
    for (const path of [
      '/oauth/token',
      '/oauth/introspect',
      '/oauth/revoke',
      '/revocations',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
    ]) {
      expect({ path, status: (await fetch(`${origin}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${issuer}/healthz`)).status).toBe(200);
  });
});

describe('buildServer with an issuer path', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('drops a trailing slash for the routes and the RFC 8414 §3 location, keeping the issuer verbatim', async () => {
    const db = await database();
    store = await openStore({ databaseUrl: db.url, kek: randomKek() });
    const app = buildServer({ store, issuer: 'https://auth.example/a/b/' });
    cleanups.push(() => app.close());
    const metadata = await app.inject({ url: '/.well-known/oauth-authorization-server/a/b' });
    expect(metadata.statusCode).toBe(200);
    expect(metadata.json()).toMatchObject({
      issuer: 'https://auth.example/a/b/',
      token_endpoint: 'https://auth.example/a/b/oauth/token',
    });
    expect((await app.inject({ url: '/a/b/.well-known/jwks.json' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/a/b/oauth/token' })).statusCode).toBe(405);
  });

  it('refuses a path the router could not match literally, saying why', async () => {
    const db = await database();
    store = await openStore({ databaseUrl: db.url, kek: randomKek() });
    for (const issuer of [
      'https://auth.example/a:b',
      'https://auth.example/ten%20ant',
      'https://auth.example/a//b',
      'https://auth.example/*',
    ]) {
      expect(() => buildServer({ store: store as Store, issuer }), issuer).toThrow(
        /issuer path .* must be segments of letters, digits/,
      );
    }
  });
});
