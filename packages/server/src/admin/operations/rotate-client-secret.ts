import type { Store } from '../../app/store.js';
import type { ClientRecord } from '../../clients/client-store.js';
import { clientToJson } from '../client-view.js';

/**
 * Issues a new secret; the previous one stays accepted for `graceSec` seconds (0: rejected at
 * once). Shared by `m2m-auth client rotate-secret` and
 * `POST /admin/v1/clients/{client}/rotate-secret`.
 *
 * @returns the client, the new secret (only here) and JSON with `client_secret` and `grace_sec`.
 * @throws StoreError `ERR_CLIENT_NOT_FOUND`, `ERR_CLIENT_REVOKED`, `ERR_INVALID_DURATION`.
 */
export async function rotateClientSecret(
  store: Store,
  idOrName: string,
  graceSec: number,
): Promise<{ client: ClientRecord; clientSecret: string; json: Record<string, unknown> }> {
  const { client, clientSecret } = await store.clients.rotateSecret(idOrName, graceSec);
  return {
    client,
    clientSecret,
    json: { ...clientToJson(client), client_secret: clientSecret, grace_sec: graceSec },
  };
}
