import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { openStore } from '@m2m-auth/server';
import { StoreError } from '@m2m-auth/server/errors';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/async.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

describe('key-encryption key on SQLite', () => {
  let database: TestDatabase;
  let warnings: string[];
  const env = {};

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    warnings = [];
  });
  afterEach(async () => {
    await database.drop();
  });

  const open = (kek?: string) =>
    openStore({
      databaseUrl: database.url,
      env,
      warn: (message) => warnings.push(message),
      ...(kek !== undefined ? { kek } : {}),
    });

  it('creates a key file beside the database with mode 0600 and warns to set M2M_AUTH_KEK', async () => {
    const store = await open();
    try {
      await store.keys.generate('ES256');
    } finally {
      await store.close();
    }
    const file = `${database.file}.kek`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(warnings).toEqual([
      `created key-encryption key file ${file} (mode 0600); in production set M2M_AUTH_KEK (32 bytes, base64) instead`,
    ]);
  });

  it('reuses the key file on the next open, so the stored keys still decrypt', async () => {
    const first = await open();
    const key = await first.keys.generate('ES256');
    await first.close();
    const second = await open();
    try {
      expect((await second.keys.active())?.kid).toBe(key.kid);
    } finally {
      await second.close();
    }
    expect(warnings[1]).toMatch(
      /^signing keys are encrypted under the key file .*\.kek; in production set M2M_AUTH_KEK instead$/,
    );
  });

  it('does not create a key file for client operations', async () => {
    const store = await open();
    await store.clients.create({ name: 'ms_admin' });
    await store.close();
    expect(() => statSync(`${database.file}.kek`)).toThrow();
    expect(warnings).toEqual([]);
  });

  it('accepts the key file content as M2M_AUTH_KEK', async () => {
    const first = await open();
    const key = await first.keys.generate('ES256');
    await first.close();
    const fromFile = readFileSync(`${database.file}.kek`, 'utf8');
    const store = await openStore({
      databaseUrl: database.url,
      env: { M2M_AUTH_KEK: fromFile.trim() },
    });
    try {
      expect((await store.keys.active())?.kid).toBe(key.kid);
    } finally {
      await store.close();
    }
  });

  it('refuses a key file that other users can read', async () => {
    const first = await open();
    await first.keys.generate('ES256');
    await first.close();
    chmodSync(`${database.file}.kek`, 0o644);
    const store = await open();
    try {
      const err = await rejection(store.keys.active(), StoreError);
      expect(err.code).toBe('ERR_KEK_FILE_INSECURE');
      expect(err.message).toContain('chmod 600');
    } finally {
      await store.close();
    }
  });

  it('fails clearly, never with garbage, when the key-encryption key is wrong', async () => {
    const first = await open(randomKek());
    await first.keys.generate('RS256');
    await first.close();
    const wrong = await open(randomKek());
    try {
      const err = await rejection(wrong.keys.active(), StoreError);
      expect(err.code).toBe('ERR_KEK_MISMATCH');
      expect(err.message).toMatch(
        /^signing key \S+ was encrypted under another key-encryption key \(fingerprint \S+, given \S+\); set M2M_AUTH_KEK to the key it was created with$/,
      );
      // Rotation needs no old private key, so it still works; the store is usable.
      expect(await wrong.keys.list()).toHaveLength(1);
    } finally {
      await wrong.close();
    }
  });

  it('detects a tampered encrypted private key', async () => {
    const kek = randomKek();
    const first = await open(kek);
    const key = await first.keys.generate('ES256');
    await first.close();
    const raw = new Database(database.file as string);
    const row = raw
      .prepare('select private_key_jwe from m2m_signing_keys where kid = ?')
      .get(key.kid) as {
      private_key_jwe: string;
    };
    const parts = row.private_key_jwe.split('.');
    const ciphertext = parts[3] as string;
    parts[3] = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
    raw
      .prepare('update m2m_signing_keys set private_key_jwe = ? where kid = ?')
      .run(parts.join('.'), key.kid);
    raw.close();
    const store = await open(kek);
    try {
      const err = await rejection(store.keys.active(), StoreError);
      expect(err.code).toBe('ERR_KEY_DECRYPTION_FAILED');
    } finally {
      await store.close();
    }
  });

  it('detects an encrypted private key copied onto another kid', async () => {
    const kek = randomKek();
    const first = await open(kek);
    const active = await first.keys.generate('ES256');
    const next = await first.keys.generate('ES256');
    await first.close();
    const raw = new Database(database.file as string);
    const nextRow = raw
      .prepare('select private_key_jwe from m2m_signing_keys where kid = ?')
      .get(next.kid) as {
      private_key_jwe: string;
    };
    raw
      .prepare('update m2m_signing_keys set private_key_jwe = ? where kid = ?')
      .run(nextRow.private_key_jwe, active.kid);
    raw.close();
    const store = await open(kek);
    try {
      const err = await rejection(store.keys.active(), StoreError);
      expect(err.code).toBe('ERR_KEY_DECRYPTION_FAILED');
      expect(err.message).toContain('belongs to another kid');
    } finally {
      await store.close();
    }
  });

  it('keeps no private key in clear in the database file', async () => {
    const store = await open(randomKek());
    await store.keys.generate('RS256');
    const pem = (await store.keys.active())?.privateKeyPem ?? '';
    await store.close();
    const raw = new Database(database.file as string);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const bytes = readFileSync(database.file as string).toString('latin1');
    expect(bytes).not.toContain('PRIVATE KEY');
    expect(bytes).not.toContain(pem.split('\n')[1]);
  });

  it.each([
    [
      'dG9vIHNob3J0',
      'M2M_AUTH_KEK must be 32 bytes in base64, got 9 bytes; generate one with: openssl rand -base64 32',
    ],
    [
      'not base64 at all!',
      'M2M_AUTH_KEK is not base64 text; generate one with: openssl rand -base64 32',
    ],
  ])('rejects a malformed M2M_AUTH_KEK at open without echoing it (%s)', async (value, message) => {
    const err = await rejection(
      openStore({ databaseUrl: database.url, env: { M2M_AUTH_KEK: value } }),
      StoreError,
    );
    expect(err.code).toBe('ERR_INVALID_KEK');
    expect(err.message).toBe(message);
  });

  it('rewrites nothing when a key file already exists but the database is new', async () => {
    writeFileSync(`${database.file}.kek`, `${randomKek()}\n`, { mode: 0o600 });
    const before = readFileSync(`${database.file}.kek`, 'utf8');
    const store = await open();
    await store.keys.generate('ES256');
    await store.close();
    expect(readFileSync(`${database.file}.kek`, 'utf8')).toBe(before);
  });
});

describe.skipIf(dialectUnavailable('postgres'))('key-encryption key on PostgreSQL', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    await database.drop();
  });

  it('requires M2M_AUTH_KEK for key operations, with a clear error, but not for clients', async () => {
    const store = await openStore({ databaseUrl: database.url, env: {} });
    try {
      await store.clients.create({ name: 'ms_admin' });
      const err = await rejection(store.keys.generate('ES256'), StoreError);
      expect(err.code).toBe('ERR_KEK_REQUIRED');
      expect(err.message).toBe(
        'M2M_AUTH_KEK is required with PostgreSQL (32 bytes, base64; generate one with: openssl rand -base64 32)',
      );
      expect(await store.keys.list()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('reads M2M_AUTH_KEK from the environment', async () => {
    const kek = randomKek();
    const store = await openStore({ databaseUrl: database.url, env: { M2M_AUTH_KEK: kek } });
    try {
      const key = await store.keys.generate('ES256');
      expect((await store.keys.active())?.kid).toBe(key.kid);
    } finally {
      await store.close();
    }
  });
});
