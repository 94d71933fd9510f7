import type { Db } from '../store/internal/database.js';

/**
 * Clients revoked after `since` (Unix seconds), by client_id, with their revocation time: what
 * the revocation feed lists about clients. The client registry owns that table.
 */
export async function readClientsRevokedSince(
  db: Db,
  since: number,
): Promise<{ clientId: string; revokedAt: number }[]> {
  const rows = await db
    .selectFrom('m2m_clients')
    .select(['client_id', 'revoked_at'])
    .where('revoked_at', '>', since)
    .orderBy('client_id')
    .execute();
  return rows.map((row) => ({ clientId: row.client_id, revokedAt: Number(row.revoked_at) }));
}
