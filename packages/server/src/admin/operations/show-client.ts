import type { Store } from '../../app/store.js';
import type {
  ClientPublicKeys,
  ClientRecord,
  ClientSecretHash,
} from '../../clients/client-store.js';
import type { FederatedSubject } from '../../clients/trust-store.js';
import { StoreError } from '../../store/store-error.js';
import { clientToJson, publicKeysToJson } from '../client-view.js';

/**
 * One client, when each accepted secret expires (never the secrets or their hashes), its public
 * keys (private_key_jwt) and the trusted issuers' subjects it is bound to (federated).
 */
export interface ShownClient {
  client: ClientRecord;
  secrets: readonly ClientSecretHash[];
  publicKeys: ClientPublicKeys | undefined;
  subjects: readonly FederatedSubject[];
  json: Record<string, unknown>;
}

/**
 * One client by client_id or name. Shared by `m2m-auth client show` and
 * `GET /admin/v1/clients/{client}`.
 *
 * @throws StoreError `ERR_CLIENT_NOT_FOUND`.
 */
export async function showClient(store: Store, idOrName: string): Promise<ShownClient> {
  const client = await store.clients.find(idOrName);
  if (client === undefined) {
    throw new StoreError(
      'ERR_CLIENT_NOT_FOUND',
      `no client with id or name ${JSON.stringify(idOrName)}`,
    );
  }
  const creds = await store.clients.getCredentials(client.clientId);
  const secrets = creds?.secrets ?? [];
  const publicKeys = creds?.publicKeys;
  const subjects = await store.trust.subjectsOf(client.clientId);
  const federated = subjects.map((s) => `${s.trustName}:${s.subject}`);
  return {
    client,
    secrets,
    publicKeys,
    subjects,
    json: {
      ...clientToJson(client),
      secrets: secrets.map((s) => ({ expires_at: s.expiresAt })),
      ...publicKeysToJson(publicKeys),
      ...(federated.length > 0
        ? { token_endpoint_auth_method: 'federated', federated_subjects: federated }
        : {}),
    },
  };
}
