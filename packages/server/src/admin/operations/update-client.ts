import type { Store } from '../../app/store.js';
import { normalizeClientPublicKeys } from '../../clients/client-public-keys.js';
import type {
  ClientPatch,
  ClientPublicKeys,
  ClientRecord,
  NewClientPublicKeys,
} from '../../clients/client-store.js';
import { clientToJson, publicKeysToJson } from '../client-view.js';

/**
 * Replaces a client's scopes, audiences, token lifetime or token format (each one given), and its
 * public keys (private_key_jwt) when `publicKeys` is given. The keys are checked before anything is
 * written, so a bad key changes nothing. Shared by `m2m-auth client update` and
 * `PATCH /admin/v1/clients/{client}`.
 *
 * @throws StoreError `ERR_CLIENT_NOT_FOUND`, `ERR_NOTHING_TO_UPDATE`, `ERR_INVALID_SCOPE`, `ERR_INVALID_AUDIENCE`,
 *   `ERR_INVALID_DURATION`, `ERR_CLIENT_REVOKED`, and the public-key errors of the store.
 */
export async function updateClient(
  store: Store,
  idOrName: string,
  patch: ClientPatch,
  publicKeys?: NewClientPublicKeys,
): Promise<{
  client: ClientRecord;
  publicKeys: ClientPublicKeys | undefined;
  json: Record<string, unknown>;
}> {
  if (publicKeys !== undefined) await normalizeClientPublicKeys(publicKeys);
  let updated =
    Object.keys(patch).length > 0 || publicKeys === undefined
      ? await store.clients.update(idOrName, patch)
      : undefined;
  if (publicKeys !== undefined) updated = await store.clients.setPublicKeys(idOrName, publicKeys);
  const client = updated as ClientRecord;
  const stored = (await store.clients.getCredentials(client.clientId))?.publicKeys;
  return {
    client,
    publicKeys: stored,
    json: { ...clientToJson(client), ...publicKeysToJson(stored) },
  };
}
