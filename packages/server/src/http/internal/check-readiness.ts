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

/**
 * What an instance that can serve still needs an operator for: `next_signing_key_unusable` (a
 * `next` key was due and this instance refused to activate it because it cannot decrypt it —
 * wrong or missing `M2M_AUTH_KEK` when the key was written — so the current key keeps signing).
 */
export type ReadinessWarning = 'next_signing_key_unusable';

/**
 * The warning of an instance that serves but needs attention, for `/healthz` and `/readyz`:
 * both answer 200 `{status: "degraded", reason, kids}` with it, since the instance must stay in
 * rotation while monitoring sees it.
 *
 * @returns the warning and the kids of the refused keys, or undefined when there is none.
 */
export function findReadinessWarning(
  context: ServerContext,
): { reason: ReadinessWarning; kids: string[] } | undefined {
  const refused = context.cache.refusedActivations();
  if (refused.length === 0) return undefined;
  return { reason: 'next_signing_key_unusable', kids: refused.map((r) => r.kid) };
}
