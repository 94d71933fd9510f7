import type { Store } from '../../app/store.js';
import { findUnusedGrants, type UnusedGrantsReport } from '../../audit/find-unused-grants.js';
import { unusedGrantsToJson } from '../../audit/unused-grants-to-json.js';

/**
 * Grants no issued token used over the last `sinceSec` seconds, and the clients that got no
 * token at all, from the audit table (`serve --audit-store`), aggregated in SQL: the report of
 * `m2m-auth audit unused`. Served by `GET /admin/v1/audit/unused`.
 *
 * @param store - the store whose audit table and clients are read (read-only).
 * @param sinceSec - length of the period, seconds, ending now.
 * @returns the report and its JSON form (`unusedGrantsToJson`).
 * @throws StoreError `STORE_UNAVAILABLE` when the database does not answer.
 * @example
 * ```ts
 * const { report } = await readUnusedGrants(store, 30 * 86_400);
 * ```
 */
export async function readUnusedGrants(
  store: Store,
  sinceSec: number,
): Promise<{ report: UnusedGrantsReport; json: ReturnType<typeof unusedGrantsToJson> }> {
  const untilMs = Date.now();
  const usage = await store.audit.usage({ sinceMs: untilMs - sinceSec * 1000, untilMs });
  const report = findUnusedGrants(usage, await store.clients.list());
  return { report, json: unusedGrantsToJson(report) };
}
