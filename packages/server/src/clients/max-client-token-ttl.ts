import type { Trx } from '../store/internal/database.js';

/**
 * The longest access-token lifetime of any client, seconds (0 with no client), read inside `trx`
 * so that it is consistent with the caller's other reads.
 */
export async function readMaxClientTokenTtlSec(trx: Trx): Promise<number> {
  const row = await trx
    .selectFrom('m2m_clients')
    .select((eb) => eb.fn.max('token_ttl_sec').as('max_ttl'))
    .executeTakeFirst();
  return Number(row?.max_ttl ?? 0);
}
