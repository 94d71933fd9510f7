import type { Store } from '../../app/store.js';
import type { ClientRecord, NewClient } from '../../clients/client-store.js';
import { clientToJson } from '../client-view.js';

/** A created client and its secret, which exists only in this result. */
export interface CreatedClient {
  client: ClientRecord;
  clientSecret: string;
  /** The client as JSON with `client_secret`. */
  json: Record<string, unknown>;
}

/**
 * Registers a client (the store validates the name, scopes, audiences and lifetime). Shared by
 * `m2m-auth client create`, `m2m-auth admin bootstrap` and `POST /admin/v1/clients`.
 *
 * @throws StoreError `ERR_INVALID_CLIENT_NAME`, `ERR_INVALID_SCOPE`, `ERR_INVALID_AUDIENCE`,
 *   `ERR_INVALID_DURATION`, `ERR_CLIENT_NAME_TAKEN`.
 */
export async function createClient(store: Store, input: NewClient): Promise<CreatedClient> {
  const { client, clientSecret } = await store.clients.create(input);
  return { client, clientSecret, json: { ...clientToJson(client), client_secret: clientSecret } };
}
