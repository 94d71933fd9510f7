/**
 * Keys from a file: a PEM public key (`m2m-auth keys export-public`, Passport's oauth-public.key)
 * or a JWK Set (`m2m-auth keys export-public --all`), re-read when it changes. Real files in a temp
 * dir; Date is faked.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-auth/verifier';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { codeOf } from './helpers/code-of.js';
import { advanceSec } from './helpers/fake-clock.js';
import { AUDIENCE, createTestKey, ISSUER, mintToken, weakRsaKey } from './helpers/tokens.js';

let dir: string;
let warnings: string[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  dir = mkdtempSync(join(tmpdir(), 'verifier-key-file-'));
  warnings = [];
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
  delete process.env['OAUTH_PUBLIC_KEY_PATH'];
});

function fileVerifier(path: string, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKeyPath: path,
    logger: { warn: (message) => warnings.push(message) },
    ...options,
  });
}

/** Replaces a file atomically, as a deployment tool would. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

describe('PEM key file', () => {
  it('verifies tokens with the PEM file at publicKeyPath, whatever their kid', async () => {
    const key = await createTestKey('RS256');
    const path = join(dir, 'oauth-public.key');
    writeFileSync(path, key.publicPem);
    const verifier = fileVerifier(path);
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('accepted');
    expect(await codeOf(verifier.verify(await mintToken({ ...key, kid: 'any' })))).toBe('accepted');
  });

  it('reads the file named by OAUTH_PUBLIC_KEY_PATH when no key source is given', async () => {
    const key = await createTestKey('EdDSA');
    const path = join(dir, 'public.pem');
    writeFileSync(path, key.publicPem);
    process.env['OAUTH_PUBLIC_KEY_PATH'] = path;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, logger: false });
    expect(await codeOf(verifier.verify(await mintToken(key)))).toBe('accepted');
  });

  it('picks up a replaced key file within keyFileRefreshSec and drops tokens of the old key', async () => {
    const old = await createTestKey('ES256');
    const next = await createTestKey('ES256');
    const path = join(dir, 'public.pem');
    writeFileSync(path, old.publicPem);
    const verifier = fileVerifier(path, { keyFileRefreshSec: 5 });
    const oldToken = await mintToken(old);
    await verifier.authenticate(`Bearer ${oldToken}`);
    replaceFile(path, next.publicPem);
    advanceSec(6);
    expect(await codeOf(verifier.verify(oldToken))).toBe('ERR_SIGNATURE_INVALID');
    expect(verifier.authenticateCached(`Bearer ${oldToken}`)).toBeUndefined();
    expect(await codeOf(verifier.verify(await mintToken(next)))).toBe('accepted');
  });

  it('keeps the last good key when the file disappears or is half-written, and says so', async () => {
    const key = await createTestKey('RS256');
    const path = join(dir, 'public.pem');
    writeFileSync(path, key.publicPem);
    const verifier = fileVerifier(path, { tokenCache: false });
    const token = await mintToken(key);
    await verifier.verify(token);
    rmSync(path);
    advanceSec(6);
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    writeFileSync(path, key.publicPem.slice(0, 80));
    advanceSec(6);
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    // During an outage retries run in the background: wait for the second one to be reported.
    await vi.waitFor(() =>
      expect(warnings.filter((line) => line.includes('unavailable')).length).toBe(2),
    );
    expect(warnings.at(-1)).toMatch(/still verifying with 1 cached key/);
  });

  it('fails at construction for a missing file, a weak key or a private key', async () => {
    expect(() => fileVerifier(join(dir, 'missing.pem'))).toThrow(/cannot be read/);
    const weak = join(dir, 'weak.pem');
    writeFileSync(weak, weakRsaKey().pem);
    expect(() => fileVerifier(weak)).toThrow(/2048/);
    const { exportPKCS8 } = await import('jose');
    const key = await createTestKey('ES256');
    const priv = join(dir, 'private.pem');
    writeFileSync(priv, await exportPKCS8(key.privateKey));
    expect(() => fileVerifier(priv)).toThrow(/not a private key/);
  });
});

describe('JWKS key file', () => {
  it('verifies with every key of a JWK Set file, selected by kid', async () => {
    const active = await createTestKey('RS256');
    const next = await createTestKey('EdDSA');
    const path = join(dir, 'jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [active.publicJwk, next.publicJwk] }));
    const verifier = fileVerifier(path);
    expect(await codeOf(verifier.verify(await mintToken(active)))).toBe('accepted');
    expect(await codeOf(verifier.verify(await mintToken(next)))).toBe('accepted');
    const stranger = await createTestKey('RS256');
    expect(await codeOf(verifier.verify(await mintToken(stranger)))).toBe('ERR_KEY_UNKNOWN');
  });

  it('picks up a key added to the file and drops a key removed from it', async () => {
    const old = await createTestKey('ES256');
    const next = await createTestKey('ES256');
    const path = join(dir, 'jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [old.publicJwk] }));
    const verifier = fileVerifier(path, { keyFileRefreshSec: 5 });
    const oldToken = await mintToken(old);
    await verifier.verify(oldToken);
    replaceFile(path, JSON.stringify({ keys: [next.publicJwk, old.publicJwk] }));
    advanceSec(6);
    expect(await codeOf(verifier.verify(await mintToken(next)))).toBe('accepted');
    replaceFile(path, JSON.stringify({ keys: [next.publicJwk] }));
    advanceSec(6);
    expect(await codeOf(verifier.verify(oldToken))).toBe('ERR_KEY_UNKNOWN');
  });

  it('fails at construction for a JSON file without a usable verification key', () => {
    const path = join(dir, 'jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    expect(() => fileVerifier(path)).toThrow(/usable verification key/);
    writeFileSync(path, '{"keys":');
    expect(() => fileVerifier(path)).toThrow(/neither a PEM public key nor a JSON JWK Set/);
  });
});
