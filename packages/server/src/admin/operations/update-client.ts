import { clientToJson } from '../../cli/internal/client-view.js';
import type { ClientPatch, ClientRecord, Store } from '../../store/types.js';

/**
 * Replaces a client's scopes, audiences or token lifetime (each one given). Shared by
 * `m2m-auth client update` and `PATCH /admin/v1/clients/{client}`.
 *
 * @throws StoreError `CLIENT_NOT_FOUND`, `NOTHING_TO_UPDATE`, `INVALID_SCOPE`, `INVALID_AUDIENCE`,
 *   `INVALID_DURATION`, `CLIENT_REVOKED`.
 */
export async function updateClient(
  store: Store,
  idOrName: string,
  patch: ClientPatch,
): Promise<{ client: ClientRecord; json: Record<string, unknown> }> {
  const client = await store.clients.update(idOrName, patch);
  return { client, json: clientToJson(client) };
}
