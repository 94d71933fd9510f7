import type { Store } from '../../app/store.js';
import type { RefusedActivation, SigningKeyRecord } from '../../keys/key-store.js';
import { keyToJson } from '../key-view.js';

/**
 * Applies due key transitions, then lists every signing key with its state and next change
 * (public material only). Shared by `m2m-auth keys list` and `GET /admin/v1/keys`.
 *
 * @returns the keys, their JSON view, and the due activations this process refused because its
 *   key-encryption key cannot decrypt the key (the caller tells the operator).
 */
export async function listKeys(store: Store): Promise<{
  keys: SigningKeyRecord[];
  json: Record<string, unknown>[];
  refused: RefusedActivation[];
}> {
  const { refused } = await store.keys.advance();
  const keys = await store.keys.list();
  return { keys, json: keys.map((key) => keyToJson(key, keys)), refused };
}
