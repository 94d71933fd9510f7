/**
 * `m2m-auth client create|update|show` for private_key_jwt clients: keys from PEM or JWK files,
 * a jwks_uri with its algorithm, two keys during a key change, and every operator mistake refused
 * before anything is written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestKeyPair } from './helpers/client-assertion.js';
import { dumpSqlite, runCliProcess } from './helpers/run-cli.js';

let dir: string;
let dbFile: string;
const cli = (...args: string[]) =>
  runCliProcess(['--database', `sqlite:${dbFile}`, ...args], { cwd: dir });
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm2m-auth-cli-keys-'));
  dbFile = join(dir, 'auth.db');
  expect((await cli('client', 'create', 'ms_admin', '--audiences', 'ms_doctor')).code).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('m2m-auth client with private_key_jwt', () => {
  it('creates a client from a PEM public key, prints no secret, and shows its key', async () => {
    const pem = file('a.pub.pem', generateTestKeyPair('ES256').publicPem);
    const created = await cli(
      'client',
      'create',
      'svc_a',
      '--audiences',
      'ms_doctor',
      '--auth-method',
      'private_key_jwt',
      '--public-key',
      pem,
      '--json',
    );
    expect(created.code).toBe(0);
    const json = JSON.parse(created.stdout);
    expect(json).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
    });
    expect(json.client_secret).toBeUndefined();
    expect(json.jwks.keys).toHaveLength(1);
    const shown = await cli('client', 'show', 'svc_a');
    expect(shown.stdout).toContain('private_key_jwt (ES256)');
    expect(shown.stdout).not.toMatch(/secret/i);
  });

  it('takes a JWK file, and replaces keys with two at once during a key change, then one', async () => {
    const jwk = file(
      'b.jwk.json',
      JSON.stringify(await exportJWK(generateTestKeyPair('EdDSA').publicKey)),
    );
    expect((await cli('client', 'create', 'svc_b', '--public-key', jwk)).code).toBe(0);
    const next = file('b2.pub.pem', generateTestKeyPair('EdDSA').publicPem);
    const both = JSON.parse(
      (await cli('client', 'update', 'svc_b', '--public-key', jwk, '--public-key', next, '--json'))
        .stdout,
    );
    expect(both.jwks.keys).toHaveLength(2);
    const one = JSON.parse(
      (await cli('client', 'update', 'svc_b', '--public-key', next, '--json')).stdout,
    );
    expect(one.jwks.keys).toHaveLength(1);
  });

  it('registers a jwks_uri with its algorithm', async () => {
    const res = await cli(
      'client',
      'create',
      'svc_c',
      '--jwks-uri',
      'https://keys.example/svc_c.json',
      '--alg',
      'RS256',
      '--json',
    );
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      jwks_uri: 'https://keys.example/svc_c.json',
      token_endpoint_auth_signing_alg: 'RS256',
    });
  });

  it('switches a secret client to private_key_jwt with client update (its secret stops working)', async () => {
    const pem = file('admin.pub.pem', generateTestKeyPair('ES256').publicPem);
    const res = await cli('client', 'update', 'ms_admin', '--public-key', pem, '--json');
    expect(res.code).toBe(0);
    const shown = JSON.parse((await cli('client', 'show', 'ms_admin', '--json')).stdout);
    expect(shown.secrets).toEqual([]);
    expect(shown.token_endpoint_auth_method).toBe('private_key_jwt');
  });

  it.each<[string, () => string[], RegExp]>([
    [
      'a private key',
      () => [
        'client',
        'create',
        'x1',
        '--public-key',
        file('priv.pem', generateTestKeyPair('ES256').privatePem),
      ],
      /private key: register the public key only/,
    ],
    [
      'an RSA key under 2048 bits',
      () => [
        'client',
        'create',
        'x2',
        '--public-key',
        file(
          'small.pem',
          '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMz7Ff1KHQqgVeHxTmEkydjjMEVcGDoFaHAPbKKgvUr8ZozXpWX0GcnmFDBY8RWl8OsyGVKaLuP3dCqPuG4wo7cCAwEAAQ==\n-----END PUBLIC KEY-----\n',
        ),
      ],
      /at least 2048 bits|not a valid/,
    ],
    [
      'three keys',
      () => [
        'client',
        'create',
        'x3',
        ...['k1', 'k2', 'k3'].flatMap((k) => [
          '--public-key',
          file(`${k}.pem`, generateTestKeyPair('ES256').publicPem),
        ]),
      ],
      /at most 2 public keys/,
    ],
    [
      'keys of two algorithms',
      () => [
        'client',
        'create',
        'x4',
        '--public-key',
        file('e.pem', generateTestKeyPair('ES256').publicPem),
        '--public-key',
        file('r.pem', generateTestKeyPair('RS256').publicPem),
      ],
      /different algorithms/,
    ],
    [
      'a key that does not fit --alg',
      () => [
        'client',
        'create',
        'x5',
        '--public-key',
        file('e2.pem', generateTestKeyPair('ES256').publicPem),
        '--alg',
        'RS256',
      ],
      /does not fit the algorithm RS256/,
    ],
    [
      '--jwks-uri without --alg',
      () => ['client', 'create', 'x6', '--jwks-uri', 'https://keys.example/x.json'],
      /--jwks-uri needs --alg/,
    ],
    [
      'a jwks_uri that is not http(s)',
      () => ['client', 'create', 'x7', '--jwks-uri', 'file:///etc/passwd', '--alg', 'ES256'],
      /http\(s\) URL/,
    ],
    [
      '--alg HS256',
      () => ['client', 'create', 'x8', '--jwks-uri', 'https://k.example/x', '--alg', 'HS256'],
      /Allowed choices/,
    ],
    [
      'private_key_jwt without a key',
      () => ['client', 'create', 'x9', '--auth-method', 'private_key_jwt'],
      /needs --public-key/,
    ],
    [
      'a key with a secret method',
      () => [
        'client',
        'create',
        'x10',
        '--auth-method',
        'client_secret_basic',
        '--public-key',
        file('e3.pem', generateTestKeyPair('ES256').publicPem),
      ],
      /go with --auth-method private_key_jwt/,
    ],
    [
      'an unreadable key file',
      () => ['client', 'create', 'x11', '--public-key', join(dir, 'missing.pem')],
      /cannot read .*missing\.pem: ENOENT/,
    ],
    [
      'a bad key on update',
      () => [
        'client',
        'update',
        'svc_a',
        '--scopes',
        'a',
        '--public-key',
        file('junk.pem', 'junk'),
      ],
      /PEM|JWK/,
    ],
  ])('refuses %s and changes nothing', async (_what, args, message) => {
    const before = dumpSqlite(dbFile);
    const res = await cli(...args());
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(message);
    expect(dumpSqlite(dbFile)).toBe(before);
  });
});
