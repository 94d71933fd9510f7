import type BetterSqlite3 from 'better-sqlite3';

/**
 * A synchronous revision read on a statement prepared once: Kysely's SQLite driver prepares every
 * query again and serializes it behind an asynchronous connection lock, which made this read 5–9 %
 * of a token request's CPU time (bench/ANALYSIS.md). Returns `undefined` while a transaction is
 * open on the connection, whose uncommitted revision must not be read. `query` selects the revision
 * with one parameter, the state row's id (1).
 */
export function sqliteRevisionReader(
  database: BetterSqlite3.Database,
  query: string,
): () => number | undefined {
  let statement: BetterSqlite3.Statement | undefined;
  return () => {
    if (database.inTransaction) return undefined;
    statement ??= database.prepare(query).pluck();
    const revision = statement.get(1);
    if (revision === undefined) return undefined;
    return Number(revision);
  };
}
