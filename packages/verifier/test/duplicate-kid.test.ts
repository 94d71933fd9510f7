/**
 * Two different keys with the same kid in a JWK Set. RFC 7517 §4.5 says keys of a set SHOULD have
 * distinct kids; jose's key sets (createLocalJWKSet / createRemoteJWKSet) refuse such a token with
 * JWKSMultipleMatchingKeys. The verifier does the same: the token is refused (ERR_KEY_UNKNOWN,
 * "ambiguous"), the key set is logged once per load, a key file with it fails at construction,
 * and a fixed key set is used as soon as it is reloaded. Real JWKS server on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-auth/verifier';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken } from './helpers/tokens.js';

let server: JwksServer;
let warnings: string[];

beforeEach(async () => {
  server = await startJwksServer();
  warnings = [];
});

afterEach(async () => {
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

describe('two different keys with one kid in a JWKS', () => {
  it('refuses tokens with that kid, whichever key signed them, and logs the kid once per load', async () => {
    const first = await createTestKey('ES256', { kid: 'dup' });
    const second = await createTestKey('ES256', { kid: 'dup' });
    const other = await createTestKey('ES256', { kid: 'other' });
    server.keys = [first.publicJwk, second.publicJwk, other.publicJwk];
    const verifier = jwksVerifier();
    for (const key of [first, second]) {
      const error = await verifier.verify(await mintToken(key)).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'ERR_KEY_UNKNOWN' });
      expect((error as Error).message).toMatch(/ambiguous/);
    }
    // Other kids of the same set are unaffected.
    expect(await codeOf(verifier.verify(await mintToken(other)))).toBe('accepted');
    const logged = warnings.filter((line) => line.includes('"dup"'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/names several different keys/);
  });

  it('uses the fixed key set once reloaded', async () => {
    const first = await createTestKey('ES256', { kid: 'dup' });
    const second = await createTestKey('ES256', { kid: 'dup' });
    server.keys = [first.publicJwk, second.publicJwk];
    const verifier = jwksVerifier();
    const token = await mintToken(first);
    expect(await codeOf(verifier.verify(token))).toBe('ERR_KEY_UNKNOWN');
    server.keys = [first.publicJwk, { ...second.publicJwk, kid: 'dup-2' }];
    await verifier.refreshKeys();
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    expect(await codeOf(verifier.verify(await mintToken({ ...second, kid: 'dup-2' })))).toBe(
      'accepted',
    );
  });

  it('drops tokens the key verified alone from the cache when its kid becomes ambiguous', async () => {
    const first = await createTestKey('ES256', { kid: 'dup' });
    const second = await createTestKey('ES256', { kid: 'dup' });
    server.keys = [first.publicJwk];
    const verifier = jwksVerifier();
    const token = await mintToken(first);
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    server.keys = [first.publicJwk, second.publicJwk];
    await verifier.refreshKeys();
    expect(verifier.authenticateCached(`Bearer ${token}`)).toBeUndefined();
    expect(await codeOf(verifier.verify(token))).toBe('ERR_KEY_UNKNOWN');
  });

  it('is not ambiguous when the same key is listed twice, or the kid names keys of different types', async () => {
    const ec = await createTestKey('ES256', { kid: 'same' });
    const rsa = await createTestKey('RS256', { kid: 'same' });
    server.keys = [ec.publicJwk, { ...ec.publicJwk }, rsa.publicJwk];
    const verifier = jwksVerifier();
    expect(await codeOf(verifier.verify(await mintToken(ec)))).toBe('accepted');
    expect(await codeOf(verifier.verify(await mintToken(rsa)))).toBe('accepted');
    expect(warnings.filter((line) => line.includes('several different keys'))).toEqual([]);
  });
});

describe('two different keys with one kid in a key file', () => {
  it('fails at construction naming the kid', async () => {
    const first = await createTestKey('ES256', { kid: 'dup' });
    const second = await createTestKey('ES256', { kid: 'dup' });
    const dir = mkdtempSync(join(tmpdir(), 'dup-kid-'));
    try {
      const path = join(dir, 'jwks.json');
      writeFileSync(path, JSON.stringify({ keys: [first.publicJwk, second.publicJwk] }));
      expect(() =>
        createVerifier({ issuer: ISSUER, audience: AUDIENCE, publicKeyPath: path, logger: false }),
      ).toThrow(/gives kid "dup" to several different keys/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
