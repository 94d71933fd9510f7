import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { auditEventsMigration } from '../../audit/audit-events-migration.js';
import { clientKeysMigration } from '../../clients/client-keys-migration.js';
import { revokedTokensMigration } from '../../revocations/revoked-tokens-migration.js';
import { StoreError } from '../store-error.js';
import { clientTokenFormatMigration } from './client-token-format-migration.js';
import type { Db } from './database.js';
import { leasesMigration } from './leases-migration.js';

/**
 * The schema, as Kysely migrations defined in code (no files read at runtime, so the compiled
 * package carries its schema). Never edit a released migration: add a new one.
 * Column types are the portable subset of SQLite and PostgreSQL; times are Unix seconds (bigint).
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
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
  },
  '0002_audit_events': auditEventsMigration,
  '0003_leases': leasesMigration,
  '0004_client_token_format': clientTokenFormatMigration,
  '0005_client_keys': clientKeysMigration,
  '0006_revoked_tokens': revokedTokensMigration,
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/**
 * Brings the schema up to date. Safe when several processes start at once: on PostgreSQL Kysely
 * holds an advisory lock, on SQLite the migration runs in one `BEGIN IMMEDIATE` transaction.
 *
 * @throws {StoreError} `ERR_MIGRATION_FAILED`
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'm2m_migration',
    migrationLockTableName: 'm2m_migration_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /corrupted migrations/i.test(reason)
      ? ' (the database was created by a newer m2m-auth?)'
      : '';
    throw new StoreError('ERR_MIGRATION_FAILED', `database migration failed: ${reason}${hint}`, {
      cause: error,
    });
  }
}
