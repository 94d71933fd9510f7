import { openStore } from '@m2m-auth/server';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

// The token endpoint reads the store revision before every request on SQLite through a statement
// prepared once. These pin down, through the public store, what that shortcut must keep: committed
// values only, another connection's commit seen by the very next read, and a committed value while
// a write of the same store holds its connection in a transaction.
describe('the SQLite revision read', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('reads committed revisions only, and refuses a store without its revision row', async () => {
    database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
    // Another connection to the same file, writing the revision row by hand.
    const db = new Database(database.url.slice('sqlite:'.length));
    try {
      const before = await store.revision();
      db.exec('begin immediate');
      db.prepare('update m2m_store_state set revision = ? where id = 1').run(before + 100);
      // An uncommitted revision that may still be rolled back is never reported.
      expect(await store.revision()).toBe(before);
      db.exec('rollback');
      expect(await store.revision()).toBe(before);
      db.prepare('update m2m_store_state set revision = ? where id = 1').run(before + 2);
      expect(await store.revision()).toBe(before + 2);
      db.exec('delete from m2m_store_state');
      await expect(store.revision()).rejects.toThrow();
    } finally {
      db.close();
      await store.close();
    }
  });

  it("sees another connection's write on the next call, and agrees with it", async () => {
    database = await createTestDatabase('sqlite');
    const kek = randomKek();
    const writer = await openStore({ databaseUrl: database.url, kek });
    const reader = await openStore({ databaseUrl: database.url, kek });
    try {
      const before = await reader.revision();
      expect(before).toBe(await writer.revision());
      await writer.clients.create({ name: 'ms_admin' });
      expect(await reader.revision()).toBe(before + 1);
      await writer.clients.revoke('ms_admin');
      expect(await reader.revision()).toBe(before + 2);
      expect(await writer.revision()).toBe(before + 2);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('answers while a write of the same store is in flight, with a committed revision', async () => {
    database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url, kek: randomKek() });
    try {
      const before = await store.revision();
      const writes = Array.from({ length: 20 }, (_, i) =>
        store.clients.create({ name: `svc_${i}` }),
      );
      const reads = Array.from({ length: 200 }, () => store.revision());
      await Promise.all(writes);
      for (const revision of await Promise.all(reads)) {
        expect(revision).toBeGreaterThanOrEqual(before);
        expect(revision).toBeLessThanOrEqual(before + 20);
      }
      expect(await store.revision()).toBe(before + 20);
    } finally {
      await store.close();
    }
  });
});
