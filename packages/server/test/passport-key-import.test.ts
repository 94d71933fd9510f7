import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openStore, type Store } from '@m2m-auth/server';
import { StoreError } from '@m2m-auth/server/errors';
import { exportPublicKeyPem, importSigningKey, readPrivateKeyPem } from '@m2m-auth/server/keys';
import { importSPKI, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/async.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const PASSPORT_PUBLIC_KEY = readFileSync('/work/shared/fixtures/passport/oauth-public.key', 'utf8');

/** A key pair as `php artisan passport:keys` writes it: PKCS#1 private, SPKI public. */
function passportKeyPair(modulusLength = 2048): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

describe('importing a Laravel Passport key pair', () => {
  let database: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('adopts a PKCS#1 oauth-private.key so that verifiers trusting oauth-public.key accept new tokens', async () => {
    const { privatePem, publicPem } = passportKeyPair();
    expect(privatePem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const key = await store.keys.import(privatePem);
    expect(key).toMatchObject({ alg: 'RS256', state: 'active' });
    expect((await exportPublicKeyPem(key.publicJwk)).trim()).toBe(publicPem.trim());

    const material = await store.keys.active();
    if (material === undefined) throw new Error('no active key');
    const jwt = await new SignJWT({ scope: 'doctors:read' })
      .setProtectedHeader({ alg: 'RS256', kid: material.kid, typ: 'at+jwt' })
      .sign(await importSigningKey(material));
    // What an existing Passport verifier does: load oauth-public.key, verify RS256.
    await jwtVerify(jwt, await importSPKI(publicPem, 'RS256'));
  });

  it('gives the same kid to the same key in PKCS#1 and PKCS#8 form', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = await readPrivateKeyPem(
      privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    );
    const pkcs8 = await readPrivateKeyPem(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(pkcs1.kid).toBe(pkcs8.kid);
    expect(pkcs1.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('imports P-256 (SEC1) as ES256 and Ed25519 as EdDSA', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(
      (await readPrivateKeyPem(ec.export({ type: 'sec1', format: 'pem' }).toString())).alg,
    ).toBe('ES256');
    expect(
      (await readPrivateKeyPem(ed.export({ type: 'pkcs8', format: 'pem' }).toString())).alg,
    ).toBe('EdDSA');
  });

  it('imports a key as next when another key is already active', async () => {
    await store.keys.generate('ES256');
    const key = await store.keys.import(passportKeyPair().privatePem);
    expect(key.state).toBe('next');
  });

  it('refuses to import the same key twice', async () => {
    const { privatePem } = passportKeyPair();
    await store.keys.import(privatePem);
    const err = await rejection(store.keys.import(privatePem), StoreError);
    expect(err.code).toBe('ERR_KEY_EXISTS');
  });

  it('refuses an RSA key below 2048 bits', async () => {
    const err = await rejection(store.keys.import(passportKeyPair(1024).privatePem), StoreError);
    expect(err.code).toBe('ERR_KEY_TOO_WEAK');
    expect(err.message).toBe('RSA key has 1024 bits; at least 2048 are required');
    expect(await store.keys.list()).toEqual([]);
  });

  it("refuses Passport's public key with a message that asks for the private one", async () => {
    const err = await rejection(store.keys.import(PASSPORT_PUBLIC_KEY), StoreError);
    expect(err.code).toBe('ERR_INVALID_PRIVATE_KEY');
    expect(err.message).toBe(
      'this is a public key or certificate; pass the private key (e.g. oauth-private.key)',
    );
  });

  it('refuses a passphrase-protected key, an unsupported curve and text that is not a key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const encrypted = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    expect((await rejection(store.keys.import(encrypted), StoreError)).code).toBe(
      'ERR_INVALID_PRIVATE_KEY',
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(
      (
        await rejection(
          store.keys.import(p384.export({ type: 'pkcs8', format: 'pem' }).toString()),
          StoreError,
        )
      ).code,
    ).toBe('ERR_UNSUPPORTED_ALGORITHM');
    const garbage = await rejection(store.keys.import('hello'), StoreError);
    expect(garbage.code).toBe('ERR_INVALID_PRIVATE_KEY');
    expect(garbage.message).toBe(
      'not a PEM private key (expected PKCS#1 "BEGIN RSA PRIVATE KEY" or PKCS#8 "BEGIN PRIVATE KEY")',
    );
  });
});
