/**
 * private_key_jwt from @m2m-auth/client against the real authorization server (SQLite, HTTP on
 * 127.0.0.1): the client signs a fresh assertion per token request with node:crypto; the server
 * verifies it with jose, and this test cross-checks the assertion with jose as well.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenClient } from '@m2m-auth/client';
import { TokenClientError } from '@m2m-auth/client/errors';
import { openStore, type RunningServer, type Store, startServer } from '@m2m-auth/server';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let store: Store;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm2m-client-pkjwt-'));
  store = await openStore({
    databaseUrl: `sqlite:${join(dir, 'auth.db')}`,
    kek: new Uint8Array(32).fill(7),
  });
  // Issuer-only audience: the client must use the issuer, as the revision of RFC 7523 requires.
  server = await startServer({
    store,
    port: 0,
    host: '127.0.0.1',
    clientAssertion: { acceptTokenEndpointAudience: false },
  });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function keyPair(kind: 'rsa' | 'ec' | 'ed25519') {
  return kind === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ed25519');
}

/** Registers a client for `kind` keys and writes its private key to a file (mode 0600). */
async function registered(kind: 'rsa' | 'ec' | 'ed25519', alg?: 'PS256') {
  counter += 1;
  const pair = keyPair(kind);
  const client = await store.clients.createWithPublicKeys(
    { name: `svc_${counter}`, audiences: ['ms_doctor', 'ms_college'] },
    {
      publicKeys: [pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
      ...(alg ? { alg } : {}),
    },
  );
  const keyPath = join(dir, `svc_${counter}.key`);
  writeFileSync(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { clientId: client.clientId, keyPath, pair };
}

/** A fetch that records the client_assertion of every token request. */
function recordingFetch(assertions: string[]): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === 'string' && init.body.includes('client_assertion=')) {
      assertions.push(new URLSearchParams(init.body).get('client_assertion') as string);
    }
    return fetch(input, init);
  };
}

describe('@m2m-auth/client with private_key_jwt (RFC 7523 §2.2)', () => {
  it.each(['rsa', 'ec', 'ed25519'] as const)(
    'gets tokens with an %s key from OAUTH_CLIENT_KEY_PATH, a fresh assertion each time',
    async (kind) => {
      const { clientId, keyPath, pair } = await registered(kind);
      const assertions: string[] = [];
      const auth = createTokenClient({
        env: { AUTH_URL: server.url, OAUTH_CLIENT_ID: clientId, OAUTH_CLIENT_KEY_PATH: keyPath },
        fetch: recordingFetch(assertions),
      });
      expect(await auth.getToken({ audience: 'ms_doctor' })).toMatch(/^ey/);
      expect(await auth.getToken({ audience: 'ms_college' })).toMatch(/^ey/);
      expect(assertions).toHaveLength(2);
      const [first, second] = assertions as [string, string];
      // jose agrees with what node:crypto signed, and the claims are as RFC 7523 §3 wants.
      const { payload, protectedHeader } = await jwtVerify(first, pair.publicKey, {
        audience: server.issuer,
        issuer: clientId,
        subject: clientId,
      });
      expect(typeof payload.aud).toBe('string');
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(60);
      expect(protectedHeader.kid).toBe(
        await calculateJwkThumbprint(await exportJWK(pair.publicKey)),
      );
      const secondJti = (await jwtVerify(second, pair.publicKey)).payload.jti;
      expect(secondJti).not.toBe(payload.jti);
    },
  );

  it('signs PS256 with an RSA KeyObject when asked, and uses a configured issuer without discovery', async () => {
    const { clientId, pair } = await registered('rsa', 'PS256');
    const assertions: string[] = [];
    const seen: string[] = [];
    const auth = createTokenClient({
      tokenUrl: `${server.url}/oauth/token`,
      clientId,
      privateKey: pair.privateKey,
      signingAlg: 'PS256',
      issuer: server.issuer,
      fetch: async (input, init) => {
        seen.push(String(input));
        return recordingFetch(assertions)(input, init);
      },
    });
    await auth.getToken({ audience: 'ms_doctor' });
    expect(decodeProtectedHeader(assertions[0] as string).alg).toBe('PS256');
    expect(seen.some((url) => url.includes('.well-known'))).toBe(false);
  });

  it('fails with ERR_INVALID_CLIENT when its key is not the registered one', async () => {
    const { clientId } = await registered('ec');
    const other = keyPair('ec');
    const auth = createTokenClient({
      tokenUrl: server.url,
      clientId,
      privateKey: other.privateKey,
    });
    const err = await auth.getToken({ audience: 'ms_doctor' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenClientError);
    expect((err as TokenClientError).code).toBe('ERR_INVALID_CLIENT');
    expect((err as Error).message).toContain('OAUTH_CLIENT_KEY_PATH');
  });

  it('refuses two credentials, a missing key file and a public key at creation', async () => {
    const { clientId, keyPath, pair } = await registered('ec');
    const env = { AUTH_URL: server.url, OAUTH_CLIENT_ID: clientId };
    expect(() =>
      createTokenClient({
        env: { ...env, OAUTH_CLIENT_KEY_PATH: keyPath, OAUTH_CLIENT_SECRET: 's' },
      }),
    ).toThrow(/OAUTH_CLIENT_SECRET and OAUTH_CLIENT_KEY_PATH/);
    expect(() => createTokenClient({ env, clientSecret: 's', privateKeyPath: keyPath })).toThrow(
      /one credential/,
    );
    expect(() =>
      createTokenClient({ env: { ...env, OAUTH_CLIENT_KEY_PATH: join(dir, 'missing.key') } }),
    ).toThrow(/OAUTH_CLIENT_KEY_PATH .*missing\.key cannot be read \(ENOENT\)/);
    expect(() =>
      createTokenClient({
        env,
        privateKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    ).toThrow(/not a PEM private key|not a private key/);
    expect(() => createTokenClient({ env, privateKeyPath: keyPath, signingAlg: 'RS256' })).toThrow(
      /signingAlg/,
    );
  });

  it('fails with ERR_CLIENT_ASSERTION_UNAVAILABLE when the metadata has no issuer', async () => {
    const { clientId, keyPath } = await registered('ed25519');
    const auth = createTokenClient({
      env: { AUTH_URL: server.url, OAUTH_CLIENT_ID: clientId, OAUTH_CLIENT_KEY_PATH: keyPath },
      fetch: async (input, init) =>
        String(input).includes('.well-known')
          ? new Response('{}', { status: 200 })
          : fetch(input, init),
    });
    const err = await auth.getToken({ audience: 'ms_doctor' }).catch((e: unknown) => e);
    expect((err as TokenClientError).code).toBe('ERR_CLIENT_ASSERTION_UNAVAILABLE');
  });
});
