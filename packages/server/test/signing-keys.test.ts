import { openStore, type Store } from '@m2m-auth/server';
import {
  advanceKeyLifecycle,
  buildJwks,
  exportPublicKeyPem,
  importSigningKey,
  type SigningAlg,
} from '@m2m-auth/server/keys';
import { calculateJwkThumbprint, importJWK, importSPKI, jwtVerify, SignJWT } from 'jose';
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

describe.each(TEST_DIALECTS)('signing keys on %s', (dialect) => {
  let database: TestDatabase;
  let store: Store;
  let clock = T0;
  const kek = randomKek();

  beforeEach(async () => {
    clock = T0;
    database = await createTestDatabase(dialect);
    store = await openStore({ databaseUrl: database.url, kek, now: () => clock });
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  describe.skipIf(dialectUnavailable(dialect))('', () => {
    it.each(['RS256', 'ES256', 'EdDSA'] as SigningAlg[])(
      'generates a %s key whose kid is the RFC 7638 thumbprint of its public JWK',
      async (alg) => {
        const key = await store.keys.generate(alg);
        const { kid, alg: jwkAlg, use, ...members } = key.publicJwk;
        expect(kid).toBe(key.kid);
        expect(jwkAlg).toBe(alg);
        expect(use).toBe('sig');
        expect(await calculateJwkThumbprint(members)).toBe(key.kid);
        expect(Object.keys(members).sort()).toEqual(
          { RS256: ['e', 'kty', 'n'], ES256: ['crv', 'kty', 'x', 'y'], EdDSA: ['crv', 'kty', 'x'] }[
            alg
          ],
        );
      },
    );

    it('generates RSA keys of 2048 bits by default', async () => {
      const key = await store.keys.generate('RS256');
      expect(Buffer.from(key.publicJwk.n as string, 'base64url').length * 8).toBe(2048);
    });

    it.each(['RS256', 'ES256', 'EdDSA'] as SigningAlg[])(
      'signs with the active %s key so that its public JWK and exported PEM verify the token',
      async (alg) => {
        await store.keys.generate(alg);
        const material = await store.keys.active();
        expect(material?.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        if (material === undefined) throw new Error('no active key');
        const jwt = await new SignJWT({ sub: 'ms_admin' })
          .setProtectedHeader({ alg, kid: material.kid, typ: 'at+jwt' })
          .sign(await importSigningKey(material));
        const byJwk = await jwtVerify(jwt, await importJWK(material.publicJwk, alg));
        expect(byJwk.protectedHeader.kid).toBe(material.kid);
        const pem = await exportPublicKeyPem(material.publicJwk);
        expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        await jwtVerify(jwt, await importSPKI(pem, alg));
      },
    );

    it('makes the first key active and later ones next', async () => {
      const first = await store.keys.generate('RS256');
      const second = await store.keys.generate('ES256');
      expect(first.state).toBe('active');
      expect(first.activatedAt).toBe(T0);
      expect(second).toMatchObject({ state: 'next', activatesAt: null, activatedAt: null });
      expect((await store.keys.active())?.kid).toBe(first.kid);
    });

    it('refuses a second active key and leaves the store unchanged', async () => {
      await store.keys.generate('ES256');
      const revision = await store.revision();
      await expectStoreError(
        store.keys.generate('ES256', { state: 'active' }),
        'ERR_ACTIVE_KEY_EXISTS',
      );
      await expectStoreError(
        store.keys.generate('ES256', { state: 'retired' }),
        'ERR_INVALID_KEY_STATE',
      );
      expect(await store.revision()).toBe(revision);
      expect(await store.keys.list()).toHaveLength(1);
    });

    it('keeps exactly one active key when two handles generate one at the same time', async () => {
      const other = await openStore({ databaseUrl: database.url, kek });
      try {
        const results = await Promise.allSettled([
          store.keys.generate('ES256', { state: 'active' }),
          other.keys.generate('ES256', { state: 'active' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((await store.keys.list()).filter((k) => k.state === 'active')).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('refuses an unsupported algorithm', async () => {
      const err = await expectStoreError(
        store.keys.generate('HS256' as SigningAlg),
        'ERR_UNSUPPORTED_ALGORITHM',
      );
      expect(err.message).toBe(
        'unsupported signing algorithm "HS256"; use one of RS256, ES256, EdDSA',
      );
    });

    it('never stores a private key in clear', async () => {
      await store.keys.generate('EdDSA');
      const material = await store.keys.active();
      const body = material?.privateKeyPem.split('\n')[1] ?? '';
      expect(body.length).toBeGreaterThan(20);
      const other = await openStore({ databaseUrl: database.url, kek });
      try {
        expect(JSON.stringify(await other.keys.list())).not.toContain('PRIVATE');
        expect(JSON.stringify(await other.keys.published())).not.toContain(body);
      } finally {
        await other.close();
      }
    });

    it('has no active key on a new database', async () => {
      expect(await store.keys.active()).toBeUndefined();
      expect(await store.keys.list()).toEqual([]);
      expect(await store.keys.published()).toEqual([]);
    });

    it('bumps the revision when a key is generated', async () => {
      await store.keys.generate('ES256');
      expect(await store.revision()).toBe(1);
      await store.keys.list();
      await store.keys.active();
      expect(await store.revision()).toBe(1);
    });

    describe('lifecycle', () => {
      it('publishes a rotated key as next and activates it only after the propagation delay', async () => {
        const old = await store.keys.generate('ES256');
        const change = await store.keys.rotate({ propagationSec: 300 });
        const next = change.created[0];
        expect(next).toMatchObject({ state: 'next', activatesAt: T0 + 300 });
        expect(change.scheduled.map((k) => k.kid)).toEqual([next?.kid]);
        expect((await store.keys.published()).map((k) => k.kid).sort()).toEqual(
          [old.kid, next?.kid].sort(),
        );

        expect((await store.keys.advance(T0 + 299)).activated).toEqual([]);
        expect((await store.keys.active())?.kid).toBe(old.kid);

        const step = await store.keys.advance(T0 + 300);
        expect(step.activated.map((k) => k.kid)).toEqual([next?.kid]);
        expect(step.retired.map((k) => k.kid)).toEqual([old.kid]);
        expect((await store.keys.active())?.kid).toBe(next?.kid);
      });

      it('keeps a retired key published until its last token has expired, then removes it', async () => {
        const old = await store.keys.generate('ES256');
        await store.clients.create({ name: 'ms_long', tokenTtlSec: 3600 });
        await store.keys.rotate({ immediately: true });
        const retired = await store.keys.get(old.kid);
        // removeAt = retiredAt + longest client token TTL (3600) + 120 s margin.
        expect(retired).toMatchObject({ state: 'retired', retiredAt: T0, removeAt: T0 + 3720 });
        expect((await store.keys.published(T0 + 3719)).map((k) => k.kid)).toContain(old.kid);
        expect((await store.keys.published(T0 + 3720)).map((k) => k.kid)).not.toContain(old.kid);
        expect((await store.keys.advance(T0 + 3719)).removed).toEqual([]);
        expect((await store.keys.advance(T0 + 3720)).removed).toEqual([old.kid]);
        expect(await store.keys.get(old.kid)).toBeUndefined();
      });

      it('uses the default token lifetime for the retirement window when no client has a longer one', async () => {
        const old = await store.keys.generate('ES256');
        await store.keys.rotate({ immediately: true });
        expect((await store.keys.get(old.kid))?.removeAt).toBe(T0 + 900 + 120);
      });

      it('refuses a second rotation while one is pending, and activates the pending key with immediately', async () => {
        await store.keys.generate('ES256');
        const pending = (await store.keys.rotate({ propagationSec: 600 })).created[0];
        const revision = await store.revision();
        await expectStoreError(store.keys.rotate(), 'ERR_ROTATION_PENDING');
        await expectStoreError(
          store.keys.rotate({ alg: 'RS256', immediately: true }),
          'ERR_ROTATION_PENDING',
        );
        expect(await store.revision()).toBe(revision);
        const change = await store.keys.rotate({ immediately: true });
        expect(change.created).toEqual([]);
        expect(change.activated.map((k) => k.kid)).toEqual([pending?.kid]);
      });

      it('schedules a key generated as next when a rotation starts', async () => {
        await store.keys.generate('ES256');
        const waiting = await store.keys.generate('EdDSA');
        const change = await store.keys.rotate({ propagationSec: 60 });
        expect(change.created).toEqual([]);
        expect(change.scheduled.map((k) => [k.kid, k.activatesAt])).toEqual([
          [waiting.kid, T0 + 60],
        ]);
      });

      it('rotates to the algorithm asked for, else to that of the active key', async () => {
        await store.keys.generate('EdDSA');
        expect((await store.keys.rotate({ immediately: true })).activated[0]?.alg).toBe('EdDSA');
        expect(
          (await store.keys.rotate({ immediately: true, alg: 'ES256' })).activated[0]?.alg,
        ).toBe('ES256');
      });

      it('makes the first key of a rotation on an empty store active at once', async () => {
        const change = await store.keys.rotate({ alg: 'ES256' });
        expect(change.activated).toHaveLength(1);
        expect((await store.keys.active())?.alg).toBe('ES256');
      });

      it('rotates on schedule only when the active key is old enough and no rotation is pending', async () => {
        await store.keys.generate('ES256');
        expect(
          (await store.keys.rotate({ ifActiveOlderThanSec: 1000, now: T0 + 999 })).skipped,
        ).toBe(true);
        const due = await store.keys.rotate({ ifActiveOlderThanSec: 1000, now: T0 + 1000 });
        expect(due.skipped).toBe(false);
        expect(due.created).toHaveLength(1);
        expect(
          (await store.keys.rotate({ ifActiveOlderThanSec: 1000, now: T0 + 5000 })).skipped,
        ).toBe(true);
      });

      it('performs a scheduled rotation once when two handles attempt it at the same time', async () => {
        await store.keys.generate('ES256');
        const other = await openStore({ databaseUrl: database.url, kek, now: () => clock });
        try {
          const results = await Promise.all([
            store.keys.rotate({ ifActiveOlderThanSec: 10, now: T0 + 20 }),
            other.keys.rotate({ ifActiveOlderThanSec: 10, now: T0 + 20 }),
          ]);
          expect(results.map((r) => r.created.length).sort()).toEqual([0, 1]);
          expect((await store.keys.list()).filter((k) => k.state === 'next')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('activates a due key once when two handles advance at the same time', async () => {
        await store.keys.generate('ES256');
        await store.keys.rotate({ propagationSec: 10 });
        const other = await openStore({ databaseUrl: database.url, kek });
        try {
          const results = await Promise.all([
            store.keys.advance(T0 + 10),
            other.keys.advance(T0 + 10),
          ]);
          expect(results.map((r) => r.activated.length).sort()).toEqual([0, 1]);
          expect((await store.keys.list()).filter((k) => k.state === 'active')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('advances through advanceKeyLifecycle(store, now) as through the key store', async () => {
        await store.keys.generate('ES256');
        const next = (await store.keys.rotate({ propagationSec: 30 })).created[0];
        expect((await advanceKeyLifecycle(store, T0 + 29)).activated).toEqual([]);
        expect((await advanceKeyLifecycle(store, T0 + 30)).activated.map((k) => k.kid)).toEqual([
          next?.kid,
        ]);
      });

      it('does nothing and keeps the revision when no step is due', async () => {
        await store.keys.generate('ES256');
        const revision = await store.revision();
        const change = await store.keys.advance(T0 + 100_000);
        expect(change).toMatchObject({ activated: [], retired: [], removed: [] });
        expect(await store.revision()).toBe(revision);
      });

      it('revokes a key at once: it leaves the JWKS and its private key is erased', async () => {
        const active = await store.keys.generate('ES256');
        const next = await store.keys.generate('ES256');
        const change = await store.keys.revoke(next.kid);
        expect(change.revoked.map((k) => [k.kid, k.state, k.revokedAt])).toEqual([
          [next.kid, 'revoked', T0],
        ]);
        expect((await store.keys.published()).map((k) => k.kid)).toEqual([active.kid]);
        expect(buildJwks(await store.keys.list()).keys.map((k) => k.kid)).toEqual([active.kid]);
        expect((await store.keys.revoke(next.kid)).skipped).toBe(true);
      });

      it('replaces a revoked active key with the next key, else with a new key of the same algorithm', async () => {
        const first = await store.keys.generate('EdDSA');
        const next = await store.keys.generate('ES256');
        const change = await store.keys.revoke(first.kid);
        expect(change.activated.map((k) => k.kid)).toEqual([next.kid]);
        const again = await store.keys.revoke(next.kid);
        expect(again.created).toHaveLength(1);
        expect(again.created[0]?.alg).toBe('ES256');
        expect((await store.keys.active())?.kid).toBe(again.created[0]?.kid);
        expect((await store.keys.published()).map((k) => k.kid)).toEqual([again.created[0]?.kid]);
      });

      it('refuses to revoke an unknown kid', async () => {
        await expectStoreError(store.keys.revoke('nope'), 'ERR_KEY_NOT_FOUND');
      });

      it('orders the JWKS active first, then next, then retired', async () => {
        const a = await store.keys.generate('ES256');
        clock += 1;
        await store.keys.rotate({ immediately: true });
        clock += 1;
        await store.keys.rotate({ propagationSec: 100 });
        const jwks = buildJwks(await store.keys.published());
        const states = await Promise.all(
          jwks.keys.map(async (k) => (await store.keys.get(k.kid as string))?.state),
        );
        expect(states).toEqual(['active', 'next', 'retired']);
        expect(jwks.keys[2]?.kid).toBe(a.kid);
      });
    });
  });
});
