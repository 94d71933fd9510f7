import type { Store } from '../../app/store.js';
import type { ClientRecord } from '../../clients/client-store.js';
import { clientToJson } from '../client-view.js';

/**
 * Every client, revoked ones included, and as JSON (`client_id`, `name`, `scopes`, `audiences`,
 * `token_ttl_sec`, `created_at`, `updated_at`, `revoked_at`, `token_format`,
 * `legacy_secret_hash`; times in Unix seconds). Never secret material. Shared by
 * `m2m-auth client list` and `GET /admin/v1/clients`.
 *
 * @returns the clients, their JSON, and the client_ids that still hold a legacy secret hash
 *   (bcrypt/argon2id adopted from Laravel Passport, replaced at their next successful request).
 */
export async function listClients(store: Store): Promise<{
  clients: ClientRecord[];
  legacy: Set<string>;
  json: Record<string, unknown>[];
}> {
  const clients = await store.clients.list();
  const legacy = new Set(await store.clients.legacySecretClientIds());
  return {
    clients,
    legacy,
    json: clients.map((c) => ({ ...clientToJson(c), legacy_secret_hash: legacy.has(c.clientId) })),
  };
}
