import { sql } from 'kysely';
import type { Db } from './database.js';

/** Whether a PostgreSQL database holds m2m-auth's tables (its revision table stands for them). */
export async function hasPostgresStoreSchema(db: Db): Promise<boolean> {
  const { rows } = await sql<{
    found: string | null;
  }>`select to_regclass('m2m_store_state')::text as found`.execute(db);
  return rows[0]?.found != null;
}
