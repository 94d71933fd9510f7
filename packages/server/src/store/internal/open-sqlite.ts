import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';

/** An open SQLite database: the Kysely dialect over it, and its one better-sqlite3 connection. */
export interface OpenedSqlite {
  dialect: ImmediateSqliteDialect;
  database: BetterSqlite3.Database;
}

/**
 * Opens (creating folder and file) a SQLite database for several processes at once: WAL (readers do
 * not block the writer), a busy timeout (a writer waits for another instead of failing),
 * foreign keys on. A new file is created with mode 0600: it holds secret hashes and encrypted keys.
 */
export async function openSqlite(path: string, busyTimeoutMs: number): Promise<OpenedSqlite> {
  // Loaded on demand: PostgreSQL deployments need not load the native SQLite module.
  const { default: Database } = await import('better-sqlite3');
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  }
  const database = new Database(path, { timeout: busyTimeoutMs });
  try {
    database.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw err;
  }
  return { dialect: new ImmediateSqliteDialect(database), database };
}
