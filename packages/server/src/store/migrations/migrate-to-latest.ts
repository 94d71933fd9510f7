import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from '../internal/database.js';
import { StoreError } from '../store-error.js';
import { initialMigration } from './0001-initial.js';
import { auditEventsMigration } from './0002-audit-events.js';
import { leasesMigration } from './0003-leases.js';
import { clientTokenFormatMigration } from './0004-client-token-format.js';
import { clientKeysMigration } from './0005-client-keys.js';
import { revokedTokensMigration } from './0006-revoked-tokens.js';

/**
 * The schema, as Kysely migrations defined in code (no files read at runtime, so the compiled
 * package carries its schema), one numbered file each in this folder. Never edit a released
 * migration: add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': initialMigration,
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
