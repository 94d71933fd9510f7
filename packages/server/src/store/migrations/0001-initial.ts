import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The first schema: the store revision, clients with their secret hashes, and signing keys.
 * Column types are the portable subset of SQLite and PostgreSQL; times are Unix seconds (bigint).
 */
export const initialMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('m2m_store_state')
      .addColumn('id', 'integer', (col) => col.primaryKey())
      .addColumn('revision', 'bigint', (col) => col.notNull())
      .execute();
    await sql`insert into m2m_store_state (id, revision) values (1, 0)`.execute(db);

    await db.schema
      .createTable('m2m_clients')
      .addColumn('client_id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull().unique())
      .addColumn('scopes', 'text', (col) => col.notNull())
      .addColumn('audiences', 'text', (col) => col.notNull())
      .addColumn('token_ttl_sec', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('updated_at', 'bigint', (col) => col.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();

    await db.schema
      .createTable('m2m_client_secrets')
      .addColumn('secret_id', 'text', (col) => col.primaryKey())
      .addColumn('client_id', 'text', (col) =>
        col.notNull().references('m2m_clients.client_id').onDelete('cascade'),
      )
      .addColumn('scheme', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('m2m_client_secrets_client_id')
      .on('m2m_client_secrets')
      .column('client_id')
      .execute();

    await db.schema
      .createTable('m2m_signing_keys')
      .addColumn('kid', 'text', (col) => col.primaryKey())
      .addColumn('alg', 'text', (col) => col.notNull())
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('public_jwk', 'text', (col) => col.notNull())
      .addColumn('private_key_jwe', 'text')
      .addColumn('created_at', 'bigint', (col) => col.notNull())
      .addColumn('activates_at', 'bigint')
      .addColumn('activated_at', 'bigint')
      .addColumn('retired_at', 'bigint')
      .addColumn('remove_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addCheckConstraint(
        'm2m_signing_keys_state',
        sql`state in ('next', 'active', 'retired', 'revoked')`,
      )
      .execute();
    // The database itself guarantees "exactly one active key": a second one is a constraint error.
    await db.schema
      .createIndex('m2m_signing_keys_one_active')
      .on('m2m_signing_keys')
      .column('state')
      .unique()
      .where(sql.ref('state'), '=', sql.lit('active'))
      .execute();
  },
};
