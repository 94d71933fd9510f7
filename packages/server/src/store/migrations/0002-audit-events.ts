import type { Kysely, Migration } from 'kysely';

/**
 * Schema of the audit table, appended to the store's migrations (store/internal/migrations.ts) as
 * `0002_audit_events`. Rows are only written with `serve --audit-store`, and purged after the
 * retention period; times are Unix milliseconds (`time_ms`) so that events within one second keep
 * their order.
 */
export const auditEventsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('m2m_audit_events')
      .addColumn('event_id', 'text', (col) => col.primaryKey())
      .addColumn('time_ms', 'bigint', (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('client_id', 'text')
      .addColumn('audience', 'text')
      .addColumn('scopes', 'text')
      .addColumn('jti', 'text')
      .addColumn('source_address', 'text')
      .addColumn('reason', 'text')
      .addColumn('detail', 'text')
      .addColumn('status', 'integer', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('m2m_audit_events_time')
      .on('m2m_audit_events')
      .column('time_ms')
      .execute();
    await db.schema
      .createIndex('m2m_audit_events_client_time')
      .on('m2m_audit_events')
      .columns(['client_id', 'time_ms'])
      .execute();
  },
};
