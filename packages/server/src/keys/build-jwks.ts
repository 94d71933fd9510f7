import type { JSONWebKeySet } from 'jose';
import type { SigningKeyRecord } from './key-store.js';

const ORDER = { active: 0, next: 1, retired: 2, revoked: 3 } as const;

/**
 * The JWK Set (RFC 7517 §5) of the given keys — normally `await store.keys.published(now)` —
 * active key first, then the next key, then retired ones. Revoked keys are never included.
 *
 * @example
 * ```ts
 * reply.send(buildJwks(await store.keys.published()));
 * ```
 */
export function buildJwks(keys: readonly SigningKeyRecord[]): JSONWebKeySet {
  return {
    keys: keys
      .filter((key) => key.state !== 'revoked')
      .slice()
      .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.createdAt - b.createdAt)
      .map((key) => ({ ...key.publicJwk })),
  };
}
