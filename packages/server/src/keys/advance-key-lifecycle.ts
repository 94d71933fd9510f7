import type { KeyLifecycleChange, KeyStore } from './key-store.js';

/**
 * Applies the signing-key transitions that are due at `now`: a `next` key whose `activatesAt` has
 * passed becomes `active` (the previous active key becomes `retired`, published until every token
 * it signed has expired), and `retired` keys past `removeAt` are deleted.
 *
 * Guarded by the database: the step runs in one serialized transaction (SQLite `BEGIN IMMEDIATE`,
 * PostgreSQL row lock) and re-reads the keys inside it, so when several server instances call it
 * at once exactly one performs each transition and the others get an empty change. Bumps the store
 * revision only when something changed. Call it periodically (e.g. every few seconds) from every
 * instance; the CLI's `keys` commands call it too.
 *
 * @param store an open store
 * @param now Unix seconds; default: the store's clock
 * @returns what changed (`activated`, `retired`, `removed`); all empty when nothing was due
 * @throws {StoreError} `ERR_DATABASE_ERROR`-class failures from the database only
 * @example
 * ```ts
 * setInterval(async () => {
 *   const change = await advanceKeyLifecycle(store);
 *   if (change.activated.length > 0) log.info({ kid: change.activated[0]?.kid }, 'signing key activated');
 * }, 5_000).unref();
 * ```
 */
export function advanceKeyLifecycle(
  store: { readonly keys: KeyStore },
  now?: number,
): Promise<KeyLifecycleChange> {
  return store.keys.advance(now);
}
