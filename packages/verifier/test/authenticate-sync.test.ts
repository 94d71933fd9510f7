/**
 * `authenticateSync`: the same verification as `authenticate`, without a promise, whenever the
 * keys at hand suffice; `undefined` when only the asynchronous path can answer (keys not loaded,
 * refresh due, unknown kid). Against a real JWKS server on 127.0.0.1; Date is faked for the
 * refresh.
 */
import { createVerifier, VerifierError } from '@m2m-auth/verifier';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceSec } from './helpers/fake-clock.js';
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken } from './helpers/tokens.js';

let server: JwksServer;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  server = await startJwksServer();
});

afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

function syncError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierError);
    return (err as VerifierError).code;
  }
  return 'no error';
}

describe('authenticateSync', () => {
  it('answers only once keys are loaded, then exactly as authenticate does', async () => {
    const key = await createTestKey('ES256');
    server.keys = [key.publicJwk];
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: server.url,
      tokenCache: false,
      logger: false,
    });
    const header = `Bearer ${await mintToken(key)}`;
    expect(verifier.authenticateSync(header)).toBeUndefined();
    const auth = await verifier.authenticate(header);
    expect(server.hits).toBe(1);
    expect(verifier.authenticateSync(header)).toEqual(auth);
    expect(verifier.authenticateSync(header, { scopes: ['doctors:read'] })?.clientId).toBe(
      auth.clientId,
    );
  });

  it('throws the same errors as authenticate for bad tokens and headers', async () => {
    const key = await createTestKey('RS256');
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: key.publicPem,
      logger: false,
    });
    await verifier.refreshKeys();
    const token = await mintToken(key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const cases: [string | undefined, string][] = [
      [undefined, 'ERR_TOKEN_MISSING'],
      ['Basic abc', 'ERR_AUTH_SCHEME_UNSUPPORTED'],
      [`Bearer ${header}.${payload}.${signature.slice(0, -2)}AA`, 'ERR_SIGNATURE_INVALID'],
      [`Bearer ${header}.${payload}=.${signature}`, 'ERR_REQUEST_MALFORMED'],
      [`Bearer ${header}.${payload}`, 'ERR_TOKEN_MALFORMED'],
      [`Bearer ${await mintToken(key, { aud: 'other' })}`, 'ERR_AUDIENCE_INVALID'],
      [`Bearer ${await mintToken(key, { exp: 1 })}`, 'ERR_TOKEN_EXPIRED'],
    ];
    for (const [authorization, code] of cases) {
      const asyncCode = await verifier.authenticate(authorization).then(
        () => 'no error',
        (err: unknown) => (err as VerifierError).code,
      );
      expect(asyncCode, String(authorization)).toBe(code);
      expect(
        syncError(() => verifier.authenticateSync(authorization)),
        String(authorization),
      ).toBe(code);
    }
    expect(
      syncError(() => verifier.authenticateSync(`Bearer ${token}`, { scopes: ['admin'] })),
    ).toBe('ERR_INSUFFICIENT_SCOPE');
  });

  it('leaves an unknown kid and a due refresh to the asynchronous path', async () => {
    const first = await createTestKey('EdDSA');
    const second = await createTestKey('EdDSA');
    server.keys = [first.publicJwk];
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: server.url,
      logger: false,
    });
    await verifier.refreshKeys();
    const byFirst = `Bearer ${await mintToken(first)}`;
    const bySecond = `Bearer ${await mintToken(second)}`;
    expect(verifier.authenticateSync(byFirst)?.clientId).toBeDefined();
    expect(verifier.authenticateSync(bySecond)).toBeUndefined();
    server.keys = [first.publicJwk, second.publicJwk];
    // Past the cooldown that keeps unknown kids from causing a fetch per request.
    advanceSec(60);
    await expect(verifier.authenticate(bySecond)).resolves.toBeDefined();
    expect(verifier.authenticateSync(bySecond)?.clientId).toBeDefined();
    // Past the refresh point: the synchronous path steps aside so that a reload can run.
    advanceSec(24 * 3600);
    expect(verifier.authenticateSync(byFirst)).toBeUndefined();
    expect(verifier.authenticateCached(byFirst)).toBeUndefined();
  });
});
