import type BetterSqlite3 from 'better-sqlite3';

/**
 * A synchronous revision read on a statement prepared once: Kysely's SQLite driver prepares every
 * query again and serializes it behind an asynchronous connection lock, which made this read 5–9 %
 * of a token request's CPU time (bench/ANALYSIS.md). Returns `undefined` while a transaction is
 * open on the connection, whose uncommitted revision must not be read.
 *
 * @param query - the compiled revision select (`sql` and its `parameters`).
 */
export function sqliteRevisionReader(
  database: BetterSqlite3.Database,
  query: { readonly sql: string; readonly parameters: readonly unknown[] },
): () => number | undefined {
  let statement: BetterSqlite3.Statement | undefined;
  return () => {
    if (database.inTransaction) return undefined;
    statement ??= database.prepare(query.sql).pluck();
    const revision = statement.get(...query.parameters);
    if (revision === undefined) return undefined;
    return Number(revision);
  };
}
