import type { Kysely, Migration } from 'kysely';

/**
 * Schema of clients without a secret (`0005_client_keys`): the public keys of `private_key_jwt`
 * clients (one row per client, absent for secret clients), the used assertion `jti`s (kept until
 * the assertion expires), trusted external issuers and the subjects bound to clients.
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
    // Workload identity federation: issuers the operator trusts (e.g. a Kubernetes API server),
    // and which of their subjects authenticates which client.
    await db.schema
      .createTable('m2m_trusted_issuers')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('issuer', 'text', (col) => col.notNull().unique())
      .addColumn('jwks_uri', 'text')
      .addColumn('jwks', 'text')
      .addColumn('audience', 'text', (col) => col.notNull())
      .addColumn('max_lifetime_sec', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('m2m_federated_subjects')
      .addColumn('trust_name', 'text', (col) =>
        col.notNull().references('m2m_trusted_issuers.name').onDelete('cascade'),
      )
      .addColumn('subject', 'text', (col) => col.notNull())
      .addColumn('client_id', 'text', (col) =>
        col.notNull().references('m2m_clients.client_id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('m2m_federated_subjects_pk', ['trust_name', 'subject'])
      .execute();
  },
};
