/**
 * After Laravel's auth-service is replaced by m2m-auth (Passport's key adopted with `keys import`,
 * its clients with `import passport`), a caller that changes nothing but AUTH_URL gets a token
 * with the JSON body PHP sends, and receivers that change nothing (PHP with firebase/php-jwt and
 * oauth-public.key; @m2m-auth/verifier in Passport mode) accept it. One client setting later, the
 * same client gets RFC 9068 tokens for one receiving service.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RunningServer, type Store, startServer } from '@m2m-auth/server';
import { importPassportClients } from '@m2m-auth/server/passport';
import { createVerifier } from '@m2m-auth/verifier';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLaravelDatabase,
  fixtureSecrets,
  HOSPITAL_MANIFEST,
  type LaravelDatabase,
} from './helpers/laravel-database.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

const PHP_JWT_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'vendor',
  'php-jwt',
);
const RECEIVER_PHP = join(import.meta.dirname, 'fixtures', 'passport-era-receiver.php');
const hasPhp = (() => {
  try {
    execFileSync('php', ['--version'], { stdio: 'ignore' });
    return existsSync(PHP_JWT_DIR);
  } catch {
    return false;
  }
})();

let database: TestDatabase;
let laravel: LaravelDatabase;
let store: Store;
let server: RunningServer;
let keyDir: string;
let publicKeyPath: string;
const secrets = fixtureSecrets('passport12-hashed');

beforeAll(async () => {
  // What `php artisan passport:keys` wrote: PKCS#1 oauth-private.key, SPKI oauth-public.key.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyDir = mkdtempSync(join(tmpdir(), 'm2m-auth-passport-keys-'));
  publicKeyPath = join(keyDir, 'oauth-public.key');
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  database = await createTestDatabase('sqlite');
  store = await openStore({ databaseUrl: database.url, kek: randomKek() });
  await store.keys.import(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  laravel = await createLaravelDatabase('sqlite', 'passport12-hashed');
  await importPassportClients(store, { from: laravel.url, manifest: HOSPITAL_MANIFEST });
  server = await startServer({ store, port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await database?.drop();
  await laravel?.drop();
  rmSync(keyDir, { recursive: true, force: true });
});

/** Exactly what a Passport-era PHP caller posts (Guzzle `json:`): numeric client_id, scope "*". */
async function passportEraRequest(extra: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: 3,
      client_secret: secrets['3'],
      scope: '*',
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function phpReceiver(token: string): Record<string, unknown> {
  const out = execFileSync('php', [RECEIVER_PHP, PHP_JWT_DIR, publicKeyPath, token], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('a Passport-era caller and receivers, unchanged', () => {
  it('gets a Passport-shaped token (plus RFC 9068 claims) signed with the adopted key', async () => {
    const { status, body } = await passportEraRequest();
    expect(status).toBe(200);
    const token = body['access_token'] as string;
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    // ms_admin may call two services and named neither: its token names the caller, as Passport's.
    expect(claims).toMatchObject({
      aud: '3',
      sub: '3',
      client_id: '3',
      scopes: ['doctors:read', 'doctors:write', 'college:read'],
      scope: 'doctors:read doctors:write college:read',
      iss: server.issuer,
    });
    expect(claims.nbf).toBe(claims.iat);
    expect(typeof claims.jti).toBe('string');
    expect(body['scope']).toBe('doctors:read doctors:write college:read');

    const passportVerifier = createVerifier({
      tokenFormat: 'passport',
      publicKeyPath,
      logger: false,
    });
    const auth = await passportVerifier.authenticate(`Bearer ${token}`, {
      scopes: ['doctors:read'],
    });
    expect(auth.clientId).toBe('3');
  });

  it.skipIf(!hasPhp)(
    'is accepted by a PHP receiver verifying with oauth-public.key and php-jwt',
    async () => {
      const { body } = await passportEraRequest();
      expect(phpReceiver(body['access_token'] as string)).toEqual({
        ok: true,
        client: '3',
        scopes: ['doctors:read', 'doctors:write', 'college:read'],
      });
    },
  );

  it('client_id numbers other than whole non-negative ones are still refused', async () => {
    for (const clientId of [3.5, -3, true]) {
      const { status, body } = await passportEraRequest({ client_id: clientId });
      expect(status).toBe(400);
      expect(body['error']).toBe('invalid_request');
    }
  });

  it('an audience the caller names must still be allowed', async () => {
    const { status, body } = await passportEraRequest({ audience: 'ms_billing' });
    expect(status).toBe(400);
    expect(body['error']).toBe('invalid_target');
  });

  it('one setting away: rfc9068 tokens, aud = the receiving service', async () => {
    await store.clients.update('ms_admin', { tokenFormat: 'rfc9068' });
    // No audience and two allowed: the caller must now say which service (RFC 8707).
    const missing = await passportEraRequest();
    expect(missing.status).toBe(400);
    expect(missing.body['error']).toBe('invalid_target');

    const { status, body } = await passportEraRequest({ audience: 'ms_doctor' });
    expect(status).toBe(200);
    const token = body['access_token'] as string;
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ aud: 'ms_doctor', client_id: '3' });
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: 'ms_doctor',
      publicKeyPath,
      logger: false,
    });
    expect((await verifier.authenticate(`Bearer ${token}`)).clientId).toBe('3');
    await store.clients.update('ms_admin', { tokenFormat: 'passport' });
  });
});
