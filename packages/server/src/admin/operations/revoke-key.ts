import type { Store } from '../../app/store.js';
import type { KeyLifecycleChange } from '../../keys/key-store.js';
import { changeToJson } from '../key-view.js';

/**
 * Revokes a signing key at once (compromise): it leaves the JWKS; an active key is replaced so
 * that signing goes on. Shared by `m2m-auth keys revoke` and `POST /admin/v1/keys/{kid}/revoke`.
 *
 * @throws StoreError `ERR_KEY_NOT_FOUND`.
 */
export async function revokeKey(
  store: Store,
  kid: string,
): Promise<{ change: KeyLifecycleChange; json: Record<string, unknown> }> {
  const change = await store.keys.revoke(kid);
  return { change, json: changeToJson(change) };
}
