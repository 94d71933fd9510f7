import type BetterSqlite3 from 'better-sqlite3';
import { NoResultError } from 'kysely';
import type { Db } from './database.js';
import { sqliteRevisionReader } from './sqlite-revision-reader.js';

/**
 * Reads the store revision (`m2m_store_state`), the counter every change to clients or keys
 * moves. The token endpoint reads it before every request on SQLite, so the query is compiled
 * once (building it each time cost about half of the read) and, on SQLite, read straight from a
 * prepared statement unless a transaction of this process is open on the one connection (then
 * Kysely's connection lock makes the read wait for its end).
 */
export function createRevisionReader(
  db: Db,
  sqliteDatabase: BetterSqlite3.Database | undefined,
): () => Promise<number> {
  const revisionSelect = db.selectFrom('m2m_store_state').select('revision').where('id', '=', 1);
  const revisionQuery = revisionSelect.compile();
  const readRevisionNow = sqliteDatabase && sqliteRevisionReader(sqliteDatabase, revisionQuery);
  return async () => {
    const fast = readRevisionNow?.();
    if (fast !== undefined) return fast;
    const [row] = (await db.executeQuery(revisionQuery)).rows;
    if (row === undefined) throw new NoResultError(revisionSelect.toOperationNode());
    return Number(row.revision);
  };
}
