/**
 * Keys from a JWKS URL (RFC 7517 §5, RFC 8414 jwks_uri) against a real HTTP server on 127.0.0.1:
 * caching, rotation, unknown kids, cooldown, outages, redirects, timeouts, Cache-Control, and
 * dropping keys that are no longer published. Date is faked; sockets are real.
 */
import { randomUUID } from 'node:crypto';
import {
  createVerifier,
  type Verifier,
  VerifierError,
  type VerifierOptions,
} from '@m2m-auth/verifier';
import { exportJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { advanceSec } from './helpers/fake-clock.js';
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken, weakRsaKey } from './helpers/tokens.js';

let server: JwksServer;
let warnings: string[];

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  server = await startJwksServer();
  warnings = [];
});

afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

function jwksVerifier(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: server.url,
    logger: { warn: (message) => warnings.push(message) },
    ...options,
  });
}

describe('fetching and caching', () => {
  it('verifies with keys from the JWKS URL and fetches once for many tokens', async () => {
    const rsa = await createTestKey('RS256');
    const ec = await createTestKey('ES256');
    const ed = await createTestKey('EdDSA');
    server.keys = [rsa.publicJwk, ec.publicJwk, ed.publicJwk];
    const verifier = jwksVerifier({ tokenCache: false });
    for (const key of [rsa, ec, ed, rsa, ec, ed]) {
      await expect(verifier.verify(await mintToken(key))).resolves.toBeDefined();
    }
    expect(server.hits).toBe(1);
  });

  it('shares the first fetch between concurrent verifications', async () => {
    const key = await createTestKey('ES256');
    server.keys = [key.publicJwk];
    server.delayMs = 50;
    const verifier = jwksVerifier();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mintToken(key)));
    await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(server.hits).toBe(1);
  });

  it('refreshes after jwksCacheMaxAgeSec and picks up a rotated-in key without restart', async () => {
    const old = await createTestKey('RS256');
    const next = await createTestKey('RS256');
    server.keys = [old.publicJwk];
    const verifier = jwksVerifier({ jwksCacheMaxAgeSec: 60, jwksCooldownSec: 10 });
    await verifier.verify(await mintToken(old));
    server.keys = [next.publicJwk, old.publicJwk];
    advanceSec(61);
    await verifier.verify(await mintToken(old));
    expect(server.hits).toBe(2);
    // The refresh already brought the next key: no fetch needed when its first token arrives.
    await verifier.verify(await mintToken(next));
    expect(server.hits).toBe(2);
  });

  it('honours a shorter Cache-Control max-age, but never refetches faster than the cooldown', async () => {
    const key = await createTestKey('EdDSA');
    server.keys = [key.publicJwk];
    server.cacheControl = 'public, max-age=40';
    const verifier = jwksVerifier({ jwksCacheMaxAgeSec: 300, jwksCooldownSec: 5 });
    const token = await mintToken(key);
    await verifier.verify(token);
    advanceSec(41);
    await verifier.verify(token);
    expect(server.hits).toBe(2);

    server.cacheControl = 'no-store';
    advanceSec(41);
    await verifier.verify(token);
    expect(server.hits).toBe(3);
    advanceSec(2);
    await verifier.verify(token);
    expect(server.hits).toBe(3);
    advanceSec(4);
    await verifier.verify(token);
    expect(server.hits).toBe(4);
  });

  it('starts a background refresh in the last quarter of the interval without making requests wait', async () => {
    const key = await createTestKey('ES256');
    server.keys = [key.publicJwk];
    const verifier = jwksVerifier({ jwksCacheMaxAgeSec: 100, jwksCooldownSec: 10 });
    const token = await mintToken(key);
    await verifier.verify(token);
    advanceSec(80);
    server.mode = 'hang';
    // The fetch hangs, yet the verification completes with the keys at hand.
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await vi.waitFor(() => expect(server.hits).toBe(2));
  });
});

describe('unknown kid', () => {
  it('rejects a token whose kid is not published with ERR_KEY_UNKNOWN', async () => {
    const published = await createTestKey('RS256');
    const unpublished = await createTestKey('RS256');
    server.keys = [published.publicJwk];
    const verifier = jwksVerifier();
    expect(await codeOf(verifier.verify(await mintToken(unpublished)))).toBe('ERR_KEY_UNKNOWN');
  });

  it('refetches once for a new kid, shared by all concurrent requests', async () => {
    const old = await createTestKey('ES256');
    const rotated = await createTestKey('ES256');
    server.keys = [old.publicJwk];
    const verifier = jwksVerifier();
    await verifier.verify(await mintToken(old));
    advanceSec(60); // past the cooldown of the first fetch
    server.keys = [rotated.publicJwk, old.publicJwk];
    server.delayMs = 50;
    const tokens = await Promise.all(Array.from({ length: 50 }, () => mintToken(rotated)));
    const results = await Promise.all(tokens.map((token) => codeOf(verifier.verify(token))));
    expect(results.every((result) => result === 'accepted')).toBe(true);
    expect(server.hits).toBe(2);
  });

  it('bounds refetches caused by random kids to one per cooldown, and then lets valid new kids in', async () => {
    const key = await createTestKey('EdDSA');
    const rotated = await createTestKey('EdDSA');
    server.keys = [key.publicJwk];
    const verifier = jwksVerifier({ jwksCooldownSec: 30 });
    await verifier.verify(await mintToken(key));
    expect(server.hits).toBe(1);

    advanceSec(31);
    const attacker = await createTestKey('EdDSA');
    const forged = (kid: string) => mintToken({ ...attacker, kid });
    // A storm: sequential and concurrent random kids.
    for (let i = 0; i < 50; i++) {
      expect(await codeOf(verifier.verify(await forged(randomUUID())))).toBe('ERR_KEY_UNKNOWN');
    }
    const burst = await Promise.all(Array.from({ length: 50 }, () => forged(randomUUID())));
    const codes = await Promise.all(burst.map((token) => codeOf(verifier.verify(token))));
    expect(new Set(codes)).toEqual(new Set(['ERR_KEY_UNKNOWN']));
    expect(server.hits).toBe(2);

    // The storm cannot lock a genuinely new kid out for longer than one cooldown.
    server.keys = [rotated.publicJwk, key.publicJwk];
    const fresh = await mintToken(rotated);
    expect(await codeOf(verifier.verify(fresh))).toBe('ERR_KEY_UNKNOWN');
    advanceSec(31);
    expect(await codeOf(verifier.verify(await forged(randomUUID())))).toBe('ERR_KEY_UNKNOWN');
    expect(await codeOf(verifier.verify(fresh))).toBe('accepted');
    expect(server.hits).toBe(3);
  });

  it('rejects a token without kid when several keys fit its alg', async () => {
    const a = await createTestKey('RS256');
    const b = await createTestKey('RS256');
    server.keys = [a.publicJwk, b.publicJwk];
    const verifier = jwksVerifier();
    const token = await mintToken(a, {}, { kid: undefined });
    expect(await codeOf(verifier.verify(token))).toBe('ERR_KEY_UNKNOWN');
    server.keys = [a.publicJwk];
    const single = jwksVerifier();
    expect(await codeOf(single.verify(token))).toBe('accepted');
  });
});

describe('keys that leave the JWKS', () => {
  it('stops trusting a removed key, and its cached tokens, within one refresh interval', async () => {
    const revoked = await createTestKey('RS256');
    const active = await createTestKey('RS256');
    server.keys = [active.publicJwk, revoked.publicJwk];
    const verifier = jwksVerifier({ jwksCacheMaxAgeSec: 60, jwksCooldownSec: 10 });
    const token = await mintToken(revoked);
    const keep = await mintToken(active);
    await verifier.authenticate(`Bearer ${token}`);
    await verifier.authenticate(`Bearer ${keep}`);
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBeDefined();

    server.keys = [active.publicJwk];
    advanceSec(30);
    // Not yet refreshed: the documented interval has not elapsed.
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    advanceSec(31);
    expect(await codeOf(verifier.verify(token))).toBe('ERR_KEY_UNKNOWN');
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBeUndefined();
    // The other key's cached token is kept.
    expect(verifier.authenticateCached(`Bearer ${keep}`)).toBeDefined();
  });

  it('treats a kid whose key material changed as a new key', async () => {
    const first = await createTestKey('ES256', { kid: 'same-kid' });
    const second = await createTestKey('ES256', { kid: 'same-kid' });
    server.keys = [first.publicJwk];
    const verifier = jwksVerifier({ jwksCacheMaxAgeSec: 60, jwksCooldownSec: 10 });
    const old = await mintToken(first);
    await verifier.verify(old);
    server.keys = [second.publicJwk];
    advanceSec(61);
    expect(await codeOf(verifier.verify(old))).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifier.verify(await mintToken(second)))).toBe('accepted');
  });

  it('reloads on demand with refreshKeys, e.g. after an emergency revocation', async () => {
    const revoked = await createTestKey('EdDSA');
    server.keys = [revoked.publicJwk];
    const verifier = jwksVerifier();
    const token = await mintToken(revoked);
    await verifier.verify(token);
    server.keys = [];
    await verifier.refreshKeys();
    expect(await codeOf(verifier.verify(token))).toBe('ERR_KEY_UNKNOWN');
    expect(warnings.some((line) => line.includes('no usable verification key'))).toBe(true);
  });
});

describe('outages', () => {
  it('reports an unreachable JWKS at start as ERR_JWKS_UNAVAILABLE (503), then recovers', async () => {
    const key = await createTestKey('RS256');
    server.keys = [key.publicJwk];
    await server.stop();
    const verifier = jwksVerifier();
    const token = await mintToken(key);
    const err = await verifier.verify(token).catch((e: unknown) => e as VerifierError);
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((err as VerifierError).status).toBe(503);
    expect((err as VerifierError).message).not.toContain('127.0.0.1');
    expect(warnings.join('\n')).toMatch(/unavailable/);
    expect(warnings.join('\n')).not.toContain(token);

    await server.start();
    advanceSec(2);
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    expect(warnings.at(-1)).toMatch(/reachable again/);
  });

  it('keeps verifying with cached keys while the JWKS is down, and logs the outage', async () => {
    const key = await createTestKey('ES256');
    server.keys = [key.publicJwk];
    const verifier = jwksVerifier({
      jwksCacheMaxAgeSec: 60,
      jwksCooldownSec: 10,
      tokenCache: false,
    });
    await verifier.verify(await mintToken(key));
    await server.stop();
    for (let i = 0; i < 5; i++) {
      advanceSec(61);
      expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('accepted');
    }
    expect(warnings.filter((line) => line.includes('unavailable')).length).toBeGreaterThanOrEqual(
      1,
    );
    expect(warnings.at(-1)).toMatch(/still verifying with 1 cached key/);
  });

  it('does not make requests wait for a hanging JWKS once an outage is known', async () => {
    const key = await createTestKey('ES256');
    server.keys = [key.publicJwk];
    const verifier = jwksVerifier({
      jwksCacheMaxAgeSec: 60,
      jwksCooldownSec: 10,
      jwksTimeoutMs: 60_000,
    });
    const token = await mintToken(key);
    await verifier.verify(token);
    server.mode = 'error';
    advanceSec(61);
    expect(await codeOf(verifier.verify(token))).toBe('accepted'); // waited for a fast 503
    server.mode = 'hang';
    advanceSec(11);
    const hitsBefore = server.hits;
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    // A retry is in flight, and nobody waited for it.
    await vi.waitFor(() => expect(server.hits).toBe(hitsBefore + 1));
  });

  it('answers ERR_JWKS_UNAVAILABLE for an unknown kid while the JWKS cannot be reached', async () => {
    const key = await createTestKey('RS256');
    const rotated = await createTestKey('RS256');
    server.keys = [key.publicJwk];
    const verifier = jwksVerifier({ jwksCooldownSec: 10 });
    await verifier.verify(await mintToken(key));
    server.mode = 'error';
    advanceSec(11);
    expect(await codeOf(verifier.verify(await mintToken(rotated)))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('accepted');
  });

  it('does not follow redirects', async () => {
    const key = await createTestKey('RS256');
    server.keys = [key.publicJwk];
    server.mode = 'redirect';
    const verifier = jwksVerifier();
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(server.hits).toBe(1); // the Location was never requested
    expect(warnings.join('\n')).toMatch(/redirect \(HTTP 302\) not followed/);
  });

  it('gives up on a JWKS that does not answer within jwksTimeoutMs', async () => {
    const key = await createTestKey('RS256');
    server.mode = 'hang';
    const verifier = jwksVerifier({ jwksTimeoutMs: 200 });
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(warnings.join('\n')).toMatch(/unavailable/);
  });

  it('treats a response that is not a JWK Set as unavailable', async () => {
    const key = await createTestKey('RS256');
    server.mode = 'garbage';
    const verifier = jwksVerifier();
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('ERR_JWKS_UNAVAILABLE');
    await expect(verifier.refreshKeys()).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' });
  });
});

describe('JWKS entries that are not signature verification keys', () => {
  it('ignores use != sig, key_ops without verify, RSA < 2048, oct, private and disallowed-alg entries', async () => {
    const good = await createTestKey('RS256');
    const enc = await createTestKey('RS256');
    const ops = await createTestKey('ES256');
    const priv = await createTestKey('ES256');
    const ps = await createTestKey('PS256');
    const weak = weakRsaKey('weak');
    server.keys = [
      { ...enc.publicJwk, use: 'enc' },
      { ...ops.publicJwk, key_ops: ['encrypt'] },
      weak.jwk,
      { kty: 'oct', k: 'c2VjcmV0', kid: 'oct', alg: 'HS256' },
      { ...(await exportJWK(priv.privateKey)), kid: priv.kid, alg: 'ES256' },
      ps.publicJwk,
      { ...good.publicJwk, key_ops: ['verify'] },
    ];
    const verifier = jwksVerifier();
    for (const key of [enc, ops, priv]) {
      expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('ERR_KEY_UNKNOWN');
    }
    // PS256 is not in the default algorithms: the header is refused before any key lookup.
    expect(await codeOf(verifier.verify(await mintToken(ps)))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
    expect(await codeOf(verifier.verify(await mintToken(good)))).toBe('accepted');
    const log = warnings.join('\n');
    for (const reason of [
      'use is not sig',
      'key_ops does not include verify',
      'under 2048',
      'kty is not RSA, EC or OKP',
      'private key material',
      'algorithm is not allowed',
    ]) {
      expect(log).toContain(reason);
    }
  });
});
