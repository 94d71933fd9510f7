import { changeToJson } from '../../cli/internal/key-view.js';
import type { KeyLifecycleChange, RotateOptions, Store } from '../../store/types.js';

/**
 * Applies due key transitions, then starts a rotation: a next key, active after the propagation
 * delay (or at once with `immediately`). Shared by `m2m-auth keys rotate` and
 * `POST /admin/v1/keys/rotate`.
 *
 * @throws StoreError `ROTATION_PENDING`, `UNSUPPORTED_ALGORITHM`, `INVALID_DURATION`.
 */
export async function rotateKeys(
  store: Store,
  options: RotateOptions,
): Promise<{ change: KeyLifecycleChange; json: Record<string, unknown> }> {
  await store.keys.advance();
  const change = await store.keys.rotate(options);
  return { change, json: changeToJson(change) };
}
