import { AuthServerError } from '../../errors/auth-server-error.js';
import type { ServerContext } from './server-context.js';

/**
 * Why an instance cannot serve tokens: `database` (the revision query failed), `no_signing_key`
 * (the store has no active key), `signing_key_unusable` (the active key cannot be imported),
 * `stale` (the instance's view of the store is older than the cache allows), `draining` (SIGTERM
 * received: finishing in-flight requests before it stops).
 */
export type ReadinessProblem =
  | 'database'
  | 'no_signing_key'
  | 'signing_key_unusable'
  | 'stale'
  | 'draining';

/**
 * Checks that the database answers (a real query, whatever the revision interval) and that the
 * active signing key loads and imports; with `includeView`, also that the cache is not stale.
 *
 * @returns the first problem found, or undefined when the instance can serve.
 */
export async function findReadinessProblem(
  context: ServerContext,
  log: { error(obj: object, msg: string): void },
): Promise<Exclude<ReadinessProblem, 'draining'> | undefined> {
  try {
    await context.cache.refresh();
  } catch (err) {
    log.error({ err }, 'health check: database unreachable');
    return 'database';
  }
  try {
    const key = await context.cache.signingKey(Math.floor(Date.now() / 1000));
    if (key === undefined) return 'no_signing_key';
  } catch (err) {
    // The database can fail between the two steps (reloading the keys is a query too): that is
    // still an outage, not a key that cannot be used.
    if (err instanceof AuthServerError && err.code === 'ERR_STORE_UNAVAILABLE') {
      log.error({ err }, 'health check: database unreachable');
      return 'database';
    }
    log.error({ err }, 'health check: active signing key unusable');
    return 'signing_key_unusable';
  }
  return context.cache.viewAgeMs() > context.cache.maxStaleMs ? 'stale' : undefined;
}
