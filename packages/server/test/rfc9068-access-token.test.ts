import { startServer } from '@m2m-auth/server';
import { exportPublicKeyPem, type SigningAlg } from '@m2m-auth/server/keys';
import { issueAccessToken } from '@m2m-auth/server/tokens';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  importSPKI,
  jwtVerify,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  decodeJwt,
  postForm,
  readResponse,
  startTestAuthServer,
  type TestAuthServer,
} from './helpers/auth-server.js';

let auth: TestAuthServer;
let client: { clientId: string; clientSecret: string };
beforeAll(async () => {
  auth = await startTestAuthServer();
  client = await auth.createClient({
    name: 'ms_admin',
    scopes: ['doctors:read', 'doctors:write'],
    audiences: ['ms_doctor'],
  });
});
afterAll(async () => {
  await auth?.close();
});

async function getToken(
  url = auth.tokenUrl,
  credentials = client,
  scope = 'doctors:read',
): Promise<string> {
  const res = await readResponse(
    await postForm(
      url,
      { grant_type: 'client_credentials', scope },
      { authorization: basicAuth(credentials.clientId, credentials.clientSecret) },
    ),
  );
  expect(res.status).toBe(200);
  return String(res.body.access_token);
}

describe('JWT access tokens (RFC 9068)', () => {
  it('carries typ at+jwt, the alg and the kid of the active key in its header', async () => {
    const header = decodeProtectedHeader(await getToken());
    const active = await auth.store.keys.active();
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: active?.kid });
  });

  it('carries iss, sub, client_id, aud, scope, iat, exp and jti, and no nbf', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { payload } = decodeJwt(await getToken());
    const after = Math.floor(Date.now() / 1000);
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'scope',
      'sub',
    ]);
    expect(payload.iss).toBe(auth.issuer);
    expect(payload.sub).toBe(client.clientId);
    expect(payload.client_id).toBe(client.clientId);
    expect(payload.aud).toBe('ms_doctor');
    expect(payload.scope).toBe('doctors:read');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload.exp).toBe(Number(payload.iat) + 900);
    expect(payload).not.toHaveProperty('nbf');
  });

  it('gives every token a unique jti', async () => {
    const jtis = new Set<unknown>();
    const tokens = await Promise.all(Array.from({ length: 40 }, () => getToken()));
    for (const token of tokens) jtis.add(decodeJwt(token).payload.jti);
    expect(jtis.size).toBe(40);
    for (const jti of jtis) expect(String(jti)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('verifies with jose against the served JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${auth.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(await getToken(), jwks, {
      issuer: auth.issuer,
      audience: 'ms_doctor',
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(payload.client_id).toBe(client.clientId);
    expect(protectedHeader.typ).toBe('at+jwt');
  });

  it('verifies with jose against the exported SPKI PEM of the active key', async () => {
    const active = await auth.cli.keys.active();
    const pem = await exportPublicKeyPem(active!.publicJwk);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const { payload } = await jwtVerify(await getToken(), await importSPKI(pem, 'RS256'), {
      issuer: auth.issuer,
      audience: 'ms_doctor',
      typ: 'at+jwt',
    });
    expect(payload.sub).toBe(client.clientId);
  });

  it('fails verification for another audience', async () => {
    const jwks = createRemoteJWKSet(new URL(`${auth.url}/.well-known/jwks.json`));
    await expect(
      jwtVerify(await getToken(), jwks, { issuer: auth.issuer, audience: 'ms_admin' }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it.each(['ES256', 'EdDSA'] as SigningAlg[])(
    'signs with an %s key when that is the active key',
    async (alg) => {
      const other = await startTestAuthServer({ generateKeyIfMissing: alg });
      try {
        const credentials = await other.createClient({ name: 'caller', audiences: ['svc'] });
        const token = await getToken(other.tokenUrl, credentials, '');
        expect(decodeProtectedHeader(token).alg).toBe(alg);
        const jwks = createRemoteJWKSet(new URL(`${other.url}/.well-known/jwks.json`));
        const { payload } = await jwtVerify(token, jwks, {
          issuer: other.issuer,
          audience: 'svc',
          typ: 'at+jwt',
        });
        expect(payload.sub).toBe(credentials.clientId);
      } finally {
        await other.close();
      }
    },
  );

  it('writes nothing to the store when issuing', async () => {
    const revision = await auth.cli.revision();
    await Promise.all(Array.from({ length: 5 }, () => getToken()));
    expect(await auth.cli.revision()).toBe(revision);
  });

  it('writes an explicit issuer verbatim as iss, even one with a path', async () => {
    const server = await startServer({
      store: auth.store,
      port: 0,
      issuer: 'https://auth.example.internal/m2m',
    });
    try {
      const { payload } = decodeJwt(await getToken(`${server.url}/m2m/oauth/token`));
      expect(payload.iss).toBe('https://auth.example.internal/m2m');
    } finally {
      await server.close();
    }
  });
});

describe('issueAccessToken', () => {
  it('signs the given claims with the given key and returns jti, iat and exp', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const issued = await issueAccessToken(
      { kid: 'k1', alg: 'ES256', key: privateKey },
      {
        issuer: 'https://issuer.example',
        clientId: 'c1',
        audience: 'svc',
        scopes: ['a', 'b'],
        expiresInSec: 60,
        nowSec: 1_900_000_000,
      },
    );
    expect(issued.issuedAt).toBe(1_900_000_000);
    expect(issued.expiresAt).toBe(1_900_000_060);
    expect(issued.scope).toBe('a b');
    const { payload, protectedHeader } = await jwtVerify(issued.accessToken, publicKey, {
      currentDate: new Date(1_900_000_010_000),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(payload).toEqual({
      iss: 'https://issuer.example',
      sub: 'c1',
      client_id: 'c1',
      aud: 'svc',
      scope: 'a b',
      iat: 1_900_000_000,
      exp: 1_900_000_060,
      jti: issued.jti,
    });
  });

  it('throws a TypeError for a lifetime that is not a positive integer of seconds', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    for (const expiresInSec of [0, -1, 1.5, Number.NaN]) {
      await expect(
        issueAccessToken(
          { kid: 'k', alg: 'ES256', key: privateKey },
          { issuer: 'https://i', clientId: 'c', audience: 'a', scopes: [], expiresInSec },
        ),
      ).rejects.toBeInstanceOf(TypeError);
    }
  });
});
