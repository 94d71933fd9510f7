import type { StoreContext } from '../store/internal/context.js';
import type { AssertionJtiStore, JtiConsumption } from './assertion-jti-store.js';

/**
 * The used-`jti` register of client assertions over the store's database (table
 * `m2m_assertion_jtis`), the same queries on SQLite and PostgreSQL.
 *
 * Single use rests on the primary key (client_id, jti): the insert of a pair already present
 * conflicts and changes nothing, unless the entry has expired, in which case it is taken over.
 * One statement, so it is atomic on both databases and across instances. Writes here do not move
 * the store revision (no cache is dropped).
 */
export function createAssertionJtiStore(ctx: StoreContext): AssertionJtiStore {
  const { db } = ctx;
  return {
    async consume(clientId, jti, expiresAt, maxPerClient): Promise<JtiConsumption> {
      const now = ctx.now();
      const counted = await db
        .selectFrom('m2m_assertion_jtis')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('client_id', '=', clientId)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(counted?.n ?? 0) >= maxPerClient) return 'full';
      const result = await db
        .insertInto('m2m_assertion_jtis')
        .values({ client_id: clientId, jti, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .columns(['client_id', 'jti'])
            .doUpdateSet({ expires_at: expiresAt })
            .where('m2m_assertion_jtis.expires_at', '<=', now),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? 'consumed' : 'replayed';
    },

    async purge(now = ctx.now()): Promise<number> {
      const result = await db
        .deleteFrom('m2m_assertion_jtis')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
