/**
 * The verified-token cache: keyed by a hash of the whole token, successes only, `exp`/`nbf`
 * re-checked on every hit, bounded, switchable off. Date is faked.
 */
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-auth/verifier';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken, type TestKey } from './helpers/tokens.js';

let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('EdDSA');
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

function cachingVerifier(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKey: key.publicPem,
    clockToleranceSec: 0,
    logger: false,
    ...options,
  });
}

describe('verified-token cache', () => {
  it('serves a repeated token from the cache with the very same frozen result', async () => {
    const verifier = cachingVerifier();
    const header = `Bearer ${await mintToken(key)}`;
    expect(verifier.authenticateCached(header)).toBeUndefined();
    const first = await verifier.authenticate(header);
    expect(verifier.authenticateCached(header)).toBe(first);
    expect(await verifier.authenticate(header)).toBe(first);
    expect(Object.isFrozen(first.scopes)).toBe(true);
  });

  it('re-checks exp on every hit', async () => {
    const verifier = cachingVerifier();
    const now = Math.floor(Date.now() / 1000);
    const header = `Bearer ${await mintToken(key, { exp: now + 60 })}`;
    await verifier.authenticate(header);
    vi.setSystemTime((now + 59) * 1000);
    expect(verifier.authenticateCached(header)).toBeDefined();
    vi.setSystemTime((now + 60) * 1000);
    expect(verifier.authenticateCached(header)).toBeUndefined();
    expect(await codeOf(verifier.authenticate(header))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('re-checks nbf on every hit against the current date given', async () => {
    const verifier = cachingVerifier();
    const now = Math.floor(Date.now() / 1000);
    const token = await mintToken(key, { nbf: now, iat: now });
    await verifier.verify(token);
    const earlier = new Date((now - 10) * 1000);
    expect(
      verifier.authenticateCached(`Bearer ${token}`, { currentDate: earlier }),
    ).toBeUndefined();
    expect(await codeOf(verifier.verify(token, { currentDate: earlier }))).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    );
  });

  it('caches successes only: a rejected token is checked again each time', async () => {
    const verifier = cachingVerifier();
    const header = `Bearer ${await mintToken(key, { aud: 'ms_billing' })}`;
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(verifier.authenticate(header))).toBe('ERR_AUDIENCE_INVALID');
      expect(verifier.authenticateCached(header)).toBeUndefined();
    }
  });

  it('checks the required scopes of each call on a hit', async () => {
    const verifier = cachingVerifier();
    const header = `Bearer ${await mintToken(key, { scope: 'doctors:read' })}`;
    await verifier.authenticate(header);
    expect(verifier.authenticateCached(header, { scopes: ['doctors:read'] })).toBeDefined();
    expect(verifier.authenticateCached(header, { scopes: ['doctors:write'] })).toBeUndefined();
    expect(await codeOf(verifier.authenticate(header, { scopes: ['doctors:write'] }))).toBe(
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  it('keys on the whole token: another spelling of a cached token is not a hit', async () => {
    const verifier = cachingVerifier();
    const token = await mintToken(key);
    await verifier.verify(token);
    // An Ed25519 signature is 86 characters; "==" pads it, and jose on Node would accept that.
    expect(verifier.authenticateCached(`Bearer ${token}==`)).toBeUndefined();
    expect(await codeOf(verifier.verify(`${token}==`))).toBe('ERR_TOKEN_MALFORMED');
    expect(await codeOf(verifier.verify(` ${token}`))).toBe('ERR_TOKEN_MALFORMED');
  });

  it("a token that shares a cached one's signature but not its claims is a miss, and fails", async () => {
    const verifier = cachingVerifier();
    const token = await mintToken(key);
    await verifier.verify(token);
    // Same header and signature (so the same tail the cache indexes by), other claims.
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'doctors:read doctors:write' })).toString('base64url')}.${signature}`;
    expect(forged.slice(-32)).toBe(token.slice(-32));
    expect(verifier.authenticateCached(`Bearer ${forged}`)).toBeUndefined();
    expect(await codeOf(verifier.verify(forged))).toBe('ERR_SIGNATURE_INVALID');
    // The forgery neither replaced nor evicted the real token's entry.
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBeDefined();
  });

  it('serves only plain Bearer headers from the cache and leaves the rest to the full path', async () => {
    const verifier = cachingVerifier();
    const token = await mintToken(key);
    await verifier.verify(token);
    expect(verifier.authenticateCached(`bearer ${token}`)).toBeDefined();
    expect(verifier.authenticateCached(`Bearer  ${token}`)).toBeUndefined();
    expect(verifier.authenticateCached([`Bearer ${token}`, `Bearer ${token}`])).toBeUndefined();
    expect(verifier.authenticateCached(undefined)).toBeUndefined();
    expect(await codeOf(verifier.authenticate([`Bearer ${token}`, `Bearer ${token}`]))).toBe(
      'ERR_REQUEST_MALFORMED',
    );
  });

  it('holds at most maxEntries tokens, evicting the oldest', async () => {
    const verifier = cachingVerifier({ tokenCache: { maxEntries: 2 } });
    const headers = await Promise.all([1, 2, 3].map(async () => `Bearer ${await mintToken(key)}`));
    for (const header of headers) await verifier.authenticate(header);
    expect(verifier.authenticateCached(headers[0])).toBeUndefined();
    expect(verifier.authenticateCached(headers[1])).toBeDefined();
    expect(verifier.authenticateCached(headers[2])).toBeDefined();
  });

  it('can be switched off', async () => {
    const verifier = cachingVerifier({ tokenCache: false });
    const header = `Bearer ${await mintToken(key)}`;
    const first = await verifier.authenticate(header);
    expect(verifier.authenticateCached(header)).toBeUndefined();
    const second = await verifier.authenticate(header);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });
});
