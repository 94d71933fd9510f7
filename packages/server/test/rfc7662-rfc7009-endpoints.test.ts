/**
 * Token introspection (RFC 7662) and revocation (RFC 7009) on a real server over loopback HTTP,
 * SQLite store: who may call them, what they answer for active, expired, revoked, unknown and
 * wrongly signed tokens, and their failure limits.
 */
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
let gateway: { clientId: string; clientSecret: string };
let caller: { clientId: string; clientSecret: string };
let other: { clientId: string; clientSecret: string };

beforeAll(async () => {
  auth = await startTestAuthServer();
  gateway = await auth.createClient({ name: 'gateway', scopes: ['m2m-auth:introspect'] });
  caller = await auth.createClient({
    name: 'ms_admin',
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
  });
  other = await auth.createClient({
    name: 'ms_billing',
    scopes: ['doctors:read'],
    audiences: ['ms_doctor'],
    tokenTtlSec: 1,
  });
});
afterAll(async () => {
  await auth?.close();
});

async function tokenOf(client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await readResponse(
    await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    ),
  );
  expect(res.status).toBe(200);
  return String((res.body as { access_token: string }).access_token);
}

function introspect(
  token: string,
  client: { clientId: string; clientSecret: string } = gateway,
): Promise<Response> {
  return postForm(
    `${auth.url}/oauth/introspect`,
    { token, token_type_hint: 'access_token' },
    { authorization: basicAuth(client.clientId, client.clientSecret) },
  );
}

function revoke(token: string, client: { clientId: string; clientSecret: string }) {
  return postForm(
    `${auth.url}/oauth/revoke`,
    { token },
    { authorization: basicAuth(client.clientId, client.clientSecret) },
  );
}

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('answers an active token with its RFC 9068 claims, no-store', async () => {
    const token = await tokenOf(caller);
    const res = await readResponse(await introspect(token));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const claims = decodeJwt(token);
    expect(res.body).toEqual({ active: true, ...claims, token_type: 'Bearer' });
    expect(res.body).toMatchObject({
      iss: auth.issuer,
      client_id: caller.clientId,
      sub: caller.clientId,
      aud: 'ms_doctor',
      scope: 'doctors:read',
    });
  });

  it('accepts client_secret_post too', async () => {
    const token = await tokenOf(caller);
    const res = await readResponse(
      await postForm(`${auth.url}/oauth/introspect`, {
        token,
        client_id: gateway.clientId,
        client_secret: gateway.clientSecret,
      }),
    );
    expect(res.body).toMatchObject({ active: true });
  });

  it('answers active:false, and nothing else, for unknown, malformed, wrongly signed and expired tokens', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const genuine = decodeJwt(await tokenOf(caller));
    const forged = await new SignJWT(genuine)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
      .sign(privateKey);
    const expiring = await tokenOf(other);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const token of ['not-a-token', 'a.b.c', forged, expiring, 'x'.repeat(10_000)]) {
      const res = await readResponse(await introspect(token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
  });

  it('refuses callers without the m2m-auth:introspect scope, unauthenticated callers and a missing token', async () => {
    const token = await tokenOf(caller);
    const forbidden = await readResponse(await introspect(token, caller));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: 'unauthorized_client' });
    const wrong = await readResponse(
      await introspect(token, { clientId: gateway.clientId, clientSecret: 'wrong' }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    const none = await readResponse(await postForm(`${auth.url}/oauth/introspect`, { token }));
    expect(none.status).toBe(401);
    const missing = await readResponse(
      await postForm(
        `${auth.url}/oauth/introspect`,
        {},
        { authorization: basicAuth(gateway.clientId, gateway.clientSecret) },
      ),
    );
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    const get = await fetch(`${auth.url}/oauth/introspect`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('revokes the caller’s own token: introspection says inactive, the feed lists its jti until exp + leeway', async () => {
    const token = await tokenOf(caller);
    const keep = await tokenOf(caller);
    const res = await revoke(token, caller);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await readResponse(await introspect(token))).toMatchObject({ body: { active: false } });
    expect(await readResponse(await introspect(keep))).toMatchObject({ body: { active: true } });
    const feed = (await (await fetch(`${auth.url}/revocations`)).json()) as {
      revoked_tokens: { jti: string; exp: number }[];
    };
    const { jti, exp } = decodeJwt(token);
    expect(feed.revoked_tokens).toContainEqual(
      expect.objectContaining({ jti, exp: Number(exp) + 60 }),
    );
    // Again: still 200.
    expect((await revoke(token, caller)).status).toBe(200);
  });

  it('answers 200 for an invalid token and refuses another client’s token', async () => {
    expect((await revoke('garbage', caller)).status).toBe(200);
    const foreign = await tokenOf(caller);
    const res = await readResponse(await revoke(foreign, gateway));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unauthorized_client' });
    expect(await readResponse(await introspect(foreign))).toMatchObject({ body: { active: true } });
    const unauthenticated = await readResponse(
      await postForm(`${auth.url}/oauth/revoke`, { token: foreign }),
    );
    expect(unauthenticated.status).toBe(401);
  });

  it('a revoked client’s tokens are inactive at once', async () => {
    const victim = await auth.createClient({
      name: 'ms_victim',
      scopes: ['doctors:read'],
      audiences: ['ms_doctor'],
    });
    const token = await tokenOf(victim);
    expect(await readResponse(await introspect(token))).toMatchObject({ body: { active: true } });
    await auth.cli.clients.revoke('ms_victim');
    expect(await readResponse(await introspect(token))).toMatchObject({ body: { active: false } });
  });
});

describe('failure limits', () => {
  it('limits failed client authentications at the introspection endpoint like the token endpoint', async () => {
    const limited = await startTestAuthServer({ authFailureLimit: { maxPerClientAndAddress: 3 } });
    try {
      const client = await limited.createClient({ name: 'gw', scopes: ['m2m-auth:introspect'] });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await postForm(
          `${limited.url}/oauth/introspect`,
          { token: 'x' },
          { authorization: basicAuth(client.clientId, 'wrong') },
        );
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
