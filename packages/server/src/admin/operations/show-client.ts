import { clientToJson } from '../../cli/internal/client-view.js';
import { StoreError } from '../../store/store-error.js';
import type { ClientRecord, ClientSecretHash, Store } from '../../store/types.js';

/** One client and when each accepted secret expires (never the secrets or their hashes). */
export interface ShownClient {
  client: ClientRecord;
  secrets: readonly ClientSecretHash[];
  json: Record<string, unknown>;
}

/**
 * One client by client_id or name. Shared by `m2m-auth client show` and
 * `GET /admin/v1/clients/{client}`.
 *
 * @throws StoreError `CLIENT_NOT_FOUND`.
 */
export async function showClient(store: Store, idOrName: string): Promise<ShownClient> {
  const client = await store.clients.find(idOrName);
  if (client === undefined) {
    throw new StoreError(
      'CLIENT_NOT_FOUND',
      `no client with id or name ${JSON.stringify(idOrName)}`,
    );
  }
  const secrets = (await store.clients.getCredentials(client.clientId))?.secrets ?? [];
  return {
    client,
    secrets,
    json: { ...clientToJson(client), secrets: secrets.map((s) => ({ expires_at: s.expiresAt })) },
  };
}
