import type { Db } from './database.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** What every domain's Kysely store shares: the database, its dialect, the clock and the writer lock. */
export interface StoreContext {
  db: Db;
  dialect: StoreDialect;
  /** Current time, Unix seconds. */
  now(): number;
  /**
   * Runs `fn` exclusively among this process's writers to the same database (SQLite: see
   * in-process-lock.ts; PostgreSQL: no-op, the database serializes).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}
