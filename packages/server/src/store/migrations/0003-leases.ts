import type { Kysely, Migration } from 'kysely';

/**
 * Schema of the leases table (`0003_leases`): one row per held lease, removed when released or
 * taken over after `expires_at` (Unix seconds).
 */
export const leasesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('m2m_leases')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('holder', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'bigint', (col) => col.notNull())
      .execute();
  },
};
