import { DEFAULT_TOKEN_TTL_SEC } from '../tokens/token-lifetime.js';

/**
 * Default delay between publishing a `next` key and signing with it, seconds. It must be at least
 * the JWKS cache lifetime the server advertises (plus the verifiers' refresh interval), so every
 * verifier holds the new key before the first token carries its kid.
 */
export const DEFAULT_PROPAGATION_SEC = 600;

/** Longest propagation delay a rotation accepts, seconds (30 days). */
export const MAX_PROPAGATION_SEC = 30 * 86_400;

/**
 * Extra time a `retired` key stays published after the longest token it can have signed expires,
 * seconds: verifiers' clock tolerance (60 s) plus the time other server instances may take to
 * notice the rotation and stop signing with it, with room to spare.
 */
export const RETIRED_KEY_MARGIN_SEC = 120;

/**
 * When a key retired at `retiredAt` may leave the JWKS: after every token it signed has expired.
 *
 * @param retiredAt Unix seconds
 * @param maxTokenTtlSec the longest access-token lifetime of any client, seconds
 */
export function retiredKeyRemoveAt(retiredAt: number, maxTokenTtlSec: number): number {
  return retiredAt + Math.max(maxTokenTtlSec, DEFAULT_TOKEN_TTL_SEC) + RETIRED_KEY_MARGIN_SEC;
}
