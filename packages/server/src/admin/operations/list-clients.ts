import { clientToJson } from '../../cli/internal/client-view.js';
import type { ClientRecord, Store } from '../../store/types.js';

/**
 * Every client, revoked ones included, and as JSON (`client_id`, `name`, `scopes`, `audiences`,
 * `token_ttl_sec`, `created_at`, `updated_at`, `revoked_at`; times in Unix seconds). Never secret
 * material. Shared by `m2m-auth client list` and `GET /admin/v1/clients`.
 */
export async function listClients(
  store: Store,
): Promise<{ clients: ClientRecord[]; json: Record<string, unknown>[] }> {
  const clients = await store.clients.list();
  return { clients, json: clients.map(clientToJson) };
}
