import {
  generateClientSecret,
  hashClientSecret,
  verifyClientSecret,
} from '@m2m-auth/server/clients';
import { describe, expect, it } from 'vitest';

describe('verifyClientSecret', () => {
  const secret = generateClientSecret();

  it('accepts the secret whose hash is stored', () => {
    expect(verifyClientSecret(secret, [hashClientSecret(secret)], 0)).toBe(true);
  });

  it('rejects another secret, an empty one and a prefix of the right one', () => {
    const hashes = [hashClientSecret(secret)];
    expect(verifyClientSecret(generateClientSecret(), hashes, 0)).toBe(false);
    expect(verifyClientSecret('', hashes, 0)).toBe(false);
    expect(verifyClientSecret(secret.slice(0, -1), hashes, 0)).toBe(false);
  });

  it('accepts a secret in its grace period and rejects it from its expiry on', () => {
    const hashes = [hashClientSecret(secret, 1000)];
    expect(verifyClientSecret(secret, hashes, 999)).toBe(true);
    expect(verifyClientSecret(secret, hashes, 1000)).toBe(false);
  });

  it('accepts any of several current secrets', () => {
    const next = generateClientSecret();
    const hashes = [hashClientSecret(secret, 1000), hashClientSecret(next)];
    expect(verifyClientSecret(secret, hashes, 10)).toBe(true);
    expect(verifyClientSecret(next, hashes, 10_000)).toBe(true);
  });

  it('never matches an unknown scheme, a malformed hash or no hashes at all', () => {
    const good = hashClientSecret(secret);
    expect(verifyClientSecret(secret, [{ ...good, scheme: 'plain', hash: secret }], 0)).toBe(false);
    expect(verifyClientSecret(secret, [{ ...good, hash: good.hash.slice(0, 10) }], 0)).toBe(false);
    expect(verifyClientSecret(secret, [], 0)).toBe(false);
  });

  it('generates distinct 43-character base64url secrets of 256 bits', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateClientSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    }
  });
});
