import type { Store } from '../../app/store.js';
import type { KeyLifecycleChange, RefusedActivation, RotateOptions } from '../../keys/key-store.js';
import { changeToJson } from '../key-view.js';

/**
 * Applies due key transitions, then starts a rotation: a next key, active after the propagation
 * delay (or at once with `immediately`). Shared by `m2m-auth keys rotate` and
 * `POST /admin/v1/keys/rotate`.
 *
 * @returns the change, its JSON view, and the due activations the first step refused because this
 *   process's key-encryption key cannot decrypt the key (the caller tells the operator).
 * @throws StoreError `ERR_ROTATION_PENDING`, `ERR_UNSUPPORTED_ALGORITHM`, `ERR_INVALID_DURATION`.
 */
export async function rotateKeys(
  store: Store,
  options: RotateOptions,
): Promise<{
  change: KeyLifecycleChange;
  json: Record<string, unknown>;
  refused: RefusedActivation[];
}> {
  const { refused } = await store.keys.advance();
  const change = await store.keys.rotate(options);
  return { change, json: changeToJson(change), refused };
}
