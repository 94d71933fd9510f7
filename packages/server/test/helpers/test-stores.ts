/**
 * Two stores on one new test database: the one a server uses, and a second connection standing in
 * for the CLI or another instance (changes made there reach the server only through the database).
 */
import { openStore, type Store } from '@m2m-auth/server';
import {
  createTestDatabase,
  randomKek,
  type TestDatabase,
  type TestDialect,
} from './test-database.js';

export interface TestStores {
  database: TestDatabase;
  /** The store a server under test uses. */
  store: Store;
  /** Another connection to the same database (same KEK), playing the CLI. */
  cli: Store;
  /** Closes both stores and drops the database. */
  close(): Promise<void>;
}

/** A new empty database of `dialect` with a random KEK, opened twice. */
export async function openTestStores(dialect: TestDialect): Promise<TestStores> {
  const database = await createTestDatabase(dialect);
  const kek = randomKek();
  const store = await openStore({ databaseUrl: database.url, kek });
  const cli = await openStore({ databaseUrl: database.url, kek });
  return {
    database,
    store,
    cli,
    async close() {
      await store.close();
      await cli.close();
      await database.drop();
    },
  };
}
