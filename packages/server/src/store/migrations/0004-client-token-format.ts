import type { Kysely, Migration } from 'kysely';

/**
 * `0004_client_token_format`: the shape of the access tokens a client gets (`rfc9068`, the
 * default, or `passport` for clients adopted from Laravel Passport while their receivers move).
 */
export const clientTokenFormatMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('m2m_clients')
      .addColumn('token_format', 'text', (col) => col.notNull().defaultTo('rfc9068'))
      .execute();
  },
};
