/**
 * PostgreSQL connections killed under the store (server restart, failover, an administrator's
 * pg_terminate_backend): the operations using them fail, the process does not crash — pg emits
 * 'error' on a connection held by a transaction, which unheard is an uncaught exception — and the
 * pool replaces them.
 */
import { openStore } from '@m2m-auth/server';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  dialectUnavailable,
  randomKek,
  type TestDatabase,
} from './helpers/test-database.js';

describe.skipIf(dialectUnavailable('postgres'))('losing PostgreSQL connections', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    await database?.drop();
  });

  it('fails the writes whose connections are terminated, without an uncaught error, and works again after', async () => {
    const store = await openStore({
      databaseUrl: database.url,
      kek: randomKek(),
      pool: { max: 2 },
    });
    const admin = new pg.Client({ connectionString: database.url });
    admin.on('error', () => {});
    await admin.connect();
    let killing = true;
    const killer = (async () => {
      while (killing) {
        // Only this test's database: other tests share the server.
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()`,
        );
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    let failed = 0;
    try {
      // Bounded: 80 writes, two at a time, each in its own transaction.
      for (let i = 0; i < 40; i++) {
        await Promise.all(
          [0, 1].map((j) =>
            store.clients.create({ name: `ms_${i}_${j}` }).catch(() => {
              failed++;
            }),
          ),
        );
      }
    } finally {
      killing = false;
      await killer;
      await admin.end();
    }
    expect(failed).toBeGreaterThan(0);

    // The killer's last pg_terminate_backend may close an idle pooled connection whose close the
    // pool has not yet seen; let those socket events arrive before asking for "works again".
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { client } = await store.clients.create({ name: 'ms_after' });
    expect(await store.clients.find('ms_after')).toEqual(client);
    const created = (await store.clients.list()).length;
    expect(await store.revision()).toBe(created);
    await store.close();
  });
});
