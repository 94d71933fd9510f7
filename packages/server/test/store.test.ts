import { createHash } from 'node:crypto';
import { openStore, type Store } from '@m2m-auth/server';
import { type NewClient, verifyClientSecret } from '@m2m-auth/server/clients';
import type { StoreErrorCode } from '@m2m-auth/server/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStoreError } from './helpers/expect-store-error.js';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  TEST_DIALECTS,
  type TestDatabase,
} from './helpers/test-database.js';

const T0 = 1_800_000_000;

describe.each(TEST_DIALECTS)('client registry on %s', (dialect) => {
  let database: TestDatabase;
  let store: Store;
  let clock = T0;

  beforeEach(async () => {
    clock = T0;
    database = await createTestDatabase(dialect);
    store = await openStore({ databaseUrl: database.url, kek: randomKek(), now: () => clock });
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  describe.skipIf(dialectUnavailable(dialect))('', () => {
    it('creates a client with a 256-bit URL-safe secret and keeps only its SHA-256 hash', async () => {
      const { client, clientSecret } = await store.clients.create({
        name: 'ms_admin',
        scopes: ['doctors:read'],
        audiences: ['ms_doctor'],
      });
      expect(client.clientId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(clientSecret, 'base64url')).toHaveLength(32);
      const creds = await store.clients.getCredentials(client.clientId);
      expect(creds?.secrets).toEqual([
        {
          scheme: 'sha256',
          hash: createHash('sha256').update(clientSecret).digest('base64url'),
          expiresAt: null,
        },
      ]);
      expect(JSON.stringify(creds)).not.toContain(clientSecret);
      expect(verifyClientSecret(clientSecret, creds?.secrets ?? [], clock)).toBe(true);
    });

    it('gives a new client a 900 s token lifetime and no scopes or audiences by default', async () => {
      const { client } = await store.clients.create({ name: 'ms_plain' });
      expect(client).toMatchObject({
        name: 'ms_plain',
        scopes: [],
        audiences: [],
        tokenTtlSec: 900,
        createdAt: T0,
        updatedAt: T0,
        revokedAt: null,
      });
    });

    it('finds a client by client_id or by name, and nothing for an unknown one', async () => {
      const { client } = await store.clients.create({ name: 'ms_admin' });
      expect(await store.clients.find(client.clientId)).toEqual(client);
      expect(await store.clients.find('ms_admin')).toEqual(client);
      expect(await store.clients.find('ms_nobody')).toBeUndefined();
      expect(await store.clients.getCredentials('ms_admin')).toBeUndefined();
    });

    it('refuses a second client with the same name and leaves the store unchanged', async () => {
      await store.clients.create({ name: 'ms_admin' });
      const revision = await store.revision();
      const err = await expectStoreError(
        store.clients.create({ name: 'ms_admin' }),
        'ERR_CLIENT_NAME_TAKEN',
      );
      expect(err.message).toBe('a client named ms_admin already exists');
      expect(await store.revision()).toBe(revision);
      expect(await store.clients.list()).toHaveLength(1);
    });

    it.each([
      [{ name: 'bad name' }, 'ERR_INVALID_CLIENT_NAME'],
      [{ name: '' }, 'ERR_INVALID_CLIENT_NAME'],
      [{ name: '0b0e7c9e-2e3a-4d5c-9f3a-1d2c3b4a5f6e' }, 'ERR_INVALID_CLIENT_NAME'],
      [{ name: 'ok', scopes: ['has space'] }, 'ERR_INVALID_SCOPE'],
      [{ name: 'ok', scopes: ['quo"te'] }, 'ERR_INVALID_SCOPE'],
      [{ name: 'ok', scopes: ['back\\slash'] }, 'ERR_INVALID_SCOPE'],
      [{ name: 'ok', scopes: ['*'] }, 'ERR_INVALID_SCOPE'],
      [{ name: 'ok', audiences: ['a,b'] }, 'ERR_INVALID_AUDIENCE'],
      [{ name: 'ok', audiences: [''] }, 'ERR_INVALID_AUDIENCE'],
      [{ name: 'ok', tokenTtlSec: 0 }, 'ERR_INVALID_DURATION'],
      [{ name: 'ok', tokenTtlSec: 1.5 }, 'ERR_INVALID_DURATION'],
      [{ name: 'ok', tokenTtlSec: 86_401 }, 'ERR_INVALID_DURATION'],
    ] as [NewClient, StoreErrorCode][])(
      'rejects invalid client input %j with %s and writes nothing',
      async (input, code) => {
        await expectStoreError(store.clients.create(input), code);
        expect(await store.clients.list()).toEqual([]);
        expect(await store.revision()).toBe(0);
      },
    );

    it('accepts every RFC 6749 scope-token character and drops duplicate scopes', async () => {
      const { client } = await store.clients.create({
        name: 'ms_admin',
        scopes: ['doctors:read', "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", 'doctors:read'],
      });
      expect(client.scopes).toEqual(['doctors:read', "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]);
    });

    it('updates scopes, audiences and token lifetime, leaving absent fields as they were', async () => {
      await store.clients.create({ name: 'ms_admin', scopes: ['a'], audiences: ['x'] });
      clock += 10;
      const updated = await store.clients.update('ms_admin', {
        audiences: ['x', 'y'],
        tokenTtlSec: 60,
      });
      expect(updated).toMatchObject({
        scopes: ['a'],
        audiences: ['x', 'y'],
        tokenTtlSec: 60,
        updatedAt: T0 + 10,
      });
      expect(await store.clients.find('ms_admin')).toEqual(updated);
    });

    it('refuses an empty update and an update of an unknown client', async () => {
      await store.clients.create({ name: 'ms_admin' });
      await expectStoreError(store.clients.update('ms_admin', {}), 'ERR_NOTHING_TO_UPDATE');
      await expectStoreError(
        store.clients.update('ms_nobody', { scopes: [] }),
        'ERR_CLIENT_NOT_FOUND',
      );
      await expectStoreError(
        store.clients.update('ms_admin', { scopes: ['a b'] }),
        'ERR_INVALID_SCOPE',
      );
      expect(await store.revision()).toBe(1);
    });

    it('revokes a client: it keeps its record, loses its secrets, and cannot be changed any more', async () => {
      const { client, clientSecret } = await store.clients.create({ name: 'ms_admin' });
      clock += 5;
      const revoked = await store.clients.revoke('ms_admin');
      expect(revoked.revokedAt).toBe(T0 + 5);
      const creds = await store.clients.getCredentials(client.clientId);
      expect(creds?.client.revokedAt).toBe(T0 + 5);
      expect(verifyClientSecret(clientSecret, creds?.secrets ?? [], clock)).toBe(false);
      await expectStoreError(
        store.clients.update(client.clientId, { scopes: [] }),
        'ERR_CLIENT_REVOKED',
      );
      await expectStoreError(store.clients.rotateSecret('ms_admin', 0), 'ERR_CLIENT_REVOKED');
    });

    it('treats revoking a revoked client as done, without a new revision', async () => {
      await store.clients.create({ name: 'ms_admin' });
      const first = await store.clients.revoke('ms_admin');
      const revision = await store.revision();
      clock += 100;
      expect(await store.clients.revoke('ms_admin')).toEqual(first);
      expect(await store.revision()).toBe(revision);
    });

    it('rejects the old secret at once after a rotation without grace', async () => {
      const { client, clientSecret: oldSecret } = await store.clients.create({ name: 'ms_admin' });
      const { clientSecret: newSecret } = await store.clients.rotateSecret('ms_admin', 0);
      expect(newSecret).not.toBe(oldSecret);
      const creds = await store.clients.getCredentials(client.clientId);
      expect(verifyClientSecret(oldSecret, creds?.secrets ?? [], clock)).toBe(false);
      expect(verifyClientSecret(newSecret, creds?.secrets ?? [], clock)).toBe(true);
    });

    it('keeps the old secret valid during the grace period after a rotation, and only then', async () => {
      const { client, clientSecret: oldSecret } = await store.clients.create({ name: 'ms_admin' });
      const { clientSecret: newSecret } = await store.clients.rotateSecret('ms_admin', 3600);
      let creds = await store.clients.getCredentials(client.clientId);
      expect(creds?.secrets.map((s) => s.expiresAt).sort()).toEqual([T0 + 3600, null].sort());
      expect(verifyClientSecret(oldSecret, creds?.secrets ?? [], T0 + 3599)).toBe(true);
      expect(verifyClientSecret(oldSecret, creds?.secrets ?? [], T0 + 3600)).toBe(false);
      expect(verifyClientSecret(newSecret, creds?.secrets ?? [], T0 + 3600)).toBe(true);
      clock = T0 + 3600;
      creds = await store.clients.getCredentials(client.clientId);
      expect(creds?.secrets).toHaveLength(1);
      expect(verifyClientSecret(newSecret, creds?.secrets ?? [], clock)).toBe(true);
    });

    it('never extends an earlier, shorter grace period on a second rotation', async () => {
      const { client, clientSecret: first } = await store.clients.create({ name: 'ms_admin' });
      await store.clients.rotateSecret('ms_admin', 60);
      clock += 10;
      await store.clients.rotateSecret('ms_admin', 3600);
      const creds = await store.clients.getCredentials(client.clientId);
      expect(verifyClientSecret(first, creds?.secrets ?? [], T0 + 61)).toBe(false);
      expect(creds?.secrets).toHaveLength(3);
    });

    it('refuses a grace period that is negative, fractional or over 30 days', async () => {
      await store.clients.create({ name: 'ms_admin' });
      for (const grace of [-1, 0.5, 30 * 86_400 + 1]) {
        await expectStoreError(
          store.clients.rotateSecret('ms_admin', grace),
          'ERR_INVALID_DURATION',
        );
      }
      await expectStoreError(store.clients.rotateSecret('ms_nobody', 0), 'ERR_CLIENT_NOT_FOUND');
      expect(await store.revision()).toBe(1);
    });

    it('bumps the revision on every change and never on a read', async () => {
      expect(await store.revision()).toBe(0);
      const { client } = await store.clients.create({ name: 'ms_admin' });
      expect(await store.revision()).toBe(1);
      await store.clients.list();
      await store.clients.find('ms_admin');
      await store.clients.getCredentials(client.clientId);
      expect(await store.revision()).toBe(1);
      await store.clients.update('ms_admin', { scopes: ['a'] });
      await store.clients.rotateSecret('ms_admin', 0);
      await store.clients.revoke('ms_admin');
      expect(await store.revision()).toBe(4);
    });

    it('lists clients by name', async () => {
      for (const name of ['ms_b', 'ms_a', 'ms_c']) await store.clients.create({ name });
      expect((await store.clients.list()).map((c) => c.name)).toEqual(['ms_a', 'ms_b', 'ms_c']);
    });

    it('sees changes made through another handle on the same database', async () => {
      const other = await openStore({ databaseUrl: database.url, kek: randomKek() });
      try {
        await other.clients.create({ name: 'ms_elsewhere' });
        expect(await store.revision()).toBe(1);
        expect(await store.clients.find('ms_elsewhere')).toBeDefined();
      } finally {
        await other.close();
      }
    });

    it('lets two handles create clients at the same time without losing either', async () => {
      const other = await openStore({ databaseUrl: database.url, kek: randomKek() });
      try {
        const names = Array.from({ length: 10 }, (_, i) => `ms_${i}`);
        await Promise.all(
          names.map((name, i) => (i % 2 === 0 ? store : other).clients.create({ name })),
        );
        expect((await store.clients.list()).map((c) => c.name).sort()).toEqual(names.sort());
        expect(await store.revision()).toBe(10);
      } finally {
        await other.close();
      }
    });

    it('lets only one of two handles create a given name at the same time', async () => {
      const other = await openStore({ databaseUrl: database.url, kek: randomKek() });
      try {
        const results = await Promise.allSettled([
          store.clients.create({ name: 'ms_race' }),
          other.clients.create({ name: 'ms_race' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected');
        expect((rejected as PromiseRejectedResult).reason).toMatchObject({
          code: 'ERR_CLIENT_NAME_TAKEN',
        });
      } finally {
        await other.close();
      }
    });
  });
});

describe.each(TEST_DIALECTS)('opening the store on %s', (dialect) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database?.drop();
  });

  it.skipIf(dialectUnavailable(dialect))(
    'migrates a fresh database once when several handles open it at the same time',
    async () => {
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openStore({ databaseUrl: database.url, kek: randomKek() })),
      );
      try {
        await stores[0]?.clients.create({ name: 'ms_admin' });
        for (const store of stores) expect(await store.clients.find('ms_admin')).toBeDefined();
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      const again = await openStore({ databaseUrl: database.url, kek: randomKek() });
      expect(await again.revision()).toBe(1);
      await again.close();
    },
  );
});

describe('database URLs', () => {
  it.each([
    [
      'mysql://localhost/db',
      'unsupported database URL scheme "mysql:"; use sqlite:<path> or postgres://…',
    ],
    ['./data/m2m-auth.db', 'database URL must start with sqlite: or postgres://'],
    ['sqlite:', 'database URL "sqlite:" names no file'],
  ])('rejects %s with a clear message', async (url, message) => {
    const err = await expectStoreError(openStore({ databaseUrl: url }), 'ERR_INVALID_DATABASE_URL');
    expect(err.message).toBe(message);
  });

  it('never shows the password of an unreachable PostgreSQL URL', async () => {
    const err = await expectStoreError(
      openStore({
        databaseUrl: 'postgres://user:s3cret-pass@127.0.0.1:1/db',
        pool: { connectionTimeoutMs: 2000 },
      }),
      'ERR_DATABASE_ERROR',
    );
    expect(err.message).toMatch(/^cannot open the PostgreSQL database: /);
    expect(err.message).not.toContain('s3cret-pass');
  });

  it('creates the folder of a SQLite database, and the file with mode 0600', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const nested = `${database.dir}/a/b/m2m.db`;
      const store = await openStore({ databaseUrl: `sqlite:${nested}`, kek: randomKek() });
      await store.close();
      const { statSync } = await import('node:fs');
      expect(statSync(nested).mode & 0o777).toBe(0o600);
    } finally {
      await database.drop();
    }
  });

  it('opens an in-memory SQLite database with an ephemeral key-encryption key', async () => {
    const store = await openStore({ databaseUrl: 'sqlite::memory:' });
    try {
      const key = await store.keys.generate('ES256');
      expect((await store.keys.active())?.kid).toBe(key.kid);
    } finally {
      await store.close();
    }
  });
});
