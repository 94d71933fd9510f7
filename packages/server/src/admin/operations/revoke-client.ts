import type { Store } from '../../app/store.js';
import type { ClientRecord } from '../../clients/client-store.js';
import { clientToJson } from '../client-view.js';

/**
 * Revokes a client: its next token request fails, and the tokens it holds are listed in the
 * revocation feed (refused by receivers that poll it; the others accept them until they expire).
 * Revoking a revoked client changes nothing. Shared by `m2m-auth client revoke` and
 * `POST /admin/v1/clients/{client}/revoke`.
 *
 * @throws StoreError `ERR_CLIENT_NOT_FOUND`.
 */
export async function revokeClient(
  store: Store,
  idOrName: string,
): Promise<{ client: ClientRecord; alreadyRevoked: boolean; json: Record<string, unknown> }> {
  const before = await store.clients.find(idOrName);
  const client = await store.clients.revoke(idOrName);
  return { client, alreadyRevoked: before?.revokedAt != null, json: clientToJson(client) };
}
