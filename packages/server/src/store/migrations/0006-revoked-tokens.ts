import type { Kysely, Migration } from 'kysely';

/**
 * Schema of the revoked-token table (`0006_revoked_tokens`): one row per revoked `jti`, kept
 * until `expires_at` (Unix seconds), after which no token it covers can still be valid and the
 * row is purged. Revoked clients need no table: `m2m_clients.revoked_at` records them.
 */
export const revokedTokensMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('m2m_revoked_tokens')
      .addColumn('jti', 'text', (col) => col.primaryKey())
      .addColumn('client_id', 'text')
      .addColumn('revoked_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('m2m_revoked_tokens_expires_at')
      .on('m2m_revoked_tokens')
      .column('expires_at')
      .execute();
  },
};
