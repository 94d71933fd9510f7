import type { StoreContext } from './context.js';
import type { Trx } from './database.js';

/**
 * Runs `fn` in a transaction that is serialized with every other write to the store, and bumps the
 * store revision in the same transaction when `fn` calls `changed()`.
 *
 * Serialization: SQLite transactions begin IMMEDIATE (one writer at a time; within one process
 * writers also queue on an in-process lock, see in-process-lock.ts); on PostgreSQL the revision row
 * is locked first (`SELECT … FOR UPDATE`), so concurrent writers — other CLI runs, other server
 * instances — queue behind it and then read committed state. Checks made inside `fn` (name taken,
 * one active key, is a rotation due) are therefore race-free.
 * Any throw rolls the whole transaction back: a failed command leaves the store as it was.
 */
export async function writeTransaction<T>(
  ctx: StoreContext,
  fn: (trx: Trx, changed: () => void) => Promise<T>,
): Promise<T> {
  return ctx.exclusive(() =>
    ctx.db.transaction().execute(async (trx) => {
      if (ctx.dialect === 'postgres') {
        await trx
          .selectFrom('m2m_store_state')
          .select('revision')
          .where('id', '=', 1)
          .forUpdate()
          .execute();
      }
      let didChange = false;
      const result = await fn(trx, () => {
        didChange = true;
      });
      if (didChange) {
        await trx
          .updateTable('m2m_store_state')
          .set((eb) => ({ revision: eb('revision', '+', 1) }))
          .where('id', '=', 1)
          .execute();
      }
      return result;
    }),
  );
}
