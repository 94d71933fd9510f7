import { openStore } from '@m2m-auth/server';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteRevisionReader } from '../src/store/internal/sqlite-revision-reader.js';
import { createTestDatabase, randomKek, type TestDatabase } from './helpers/test-database.js';

// The token endpoint reads the store revision before every request on SQLite through a statement
// prepared once (issue 9). These pin down what that shortcut must keep: committed values only,
// and another connection's commit seen by the very next read.
describe('the SQLite revision read', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('reads the committed revision, and steps aside while its connection is in a transaction', () => {
    const db = new Database(':memory:');
    try {
      db.exec('create table m2m_store_state (id integer primary key, revision integer not null)');
      db.exec('insert into m2m_store_state (id, revision) values (1, 7)');
      const read = sqliteRevisionReader(db, {
        sql: 'select revision from m2m_store_state where id = ?',
        parameters: [1],
      });
      expect(read()).toBe(7);
      db.exec('begin immediate');
      db.exec('update m2m_store_state set revision = 8 where id = 1');
      // An uncommitted revision that may still be rolled back is never reported.
      expect(read()).toBeUndefined();
      db.exec('rollback');
      expect(read()).toBe(7);
      db.exec('update m2m_store_state set revision = 9 where id = 1');
      expect(read()).toBe(9);
      db.exec('delete from m2m_store_state');
      expect(read()).toBeUndefined();
    } finally {
      db.close();
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
