import type { Kysely, Migration } from 'kysely';

/**
 * Schema of `private_key_jwt` clients (`0004_client_keys`): their public keys (one row per client,
 * absent for secret clients) and the used assertion `jti`s, kept until the assertion expires.
 */
export const clientKeysMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('m2m_client_keys')
      .addColumn('client_id', 'text', (col) =>
        col.primaryKey().references('m2m_clients.client_id').onDelete('cascade'),
      )
      .addColumn('alg', 'text', (col) => col.notNull())
      .addColumn('jwks', 'text')
      .addColumn('jwks_uri', 'text')
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .execute();
    // The primary key is what makes a jti single-use: the second insert of a pair conflicts, on
    // every instance sharing the database.
    await db.schema
      .createTable('m2m_assertion_jtis')
      .addColumn('client_id', 'text', (col) => col.notNull())
      .addColumn('jti', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('m2m_assertion_jtis_pk', ['client_id', 'jti'])
      .execute();
    await db.schema
      .createIndex('m2m_assertion_jtis_expires_at')
      .on('m2m_assertion_jtis')
      .column('expires_at')
      .execute();
  },
};
