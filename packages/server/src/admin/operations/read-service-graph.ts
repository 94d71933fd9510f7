import type { Store } from '../../app/store.js';
import { buildServiceGraph, type ServiceGraph } from '../../audit/build-service-graph.js';
import { serviceGraphToJson } from '../../audit/service-graph-to-json.js';

/**
 * Who called whom over the last `sinceSec` seconds, from the audit table (`serve --audit-store`),
 * aggregated in SQL: the graph of `m2m-auth audit graph`. Served by
 * `GET /admin/v1/audit/graph`.
 *
 * @param store - the store whose audit table and clients are read (read-only).
 * @param sinceSec - length of the period, seconds, ending now.
 * @returns the graph and its JSON form (`serviceGraphToJson`).
 * @throws StoreError `STORE_UNAVAILABLE` when the database does not answer.
 * @example
 * ```ts
 * const { json } = await readServiceGraph(store, 3600);
 * ```
 */
export async function readServiceGraph(
  store: Store,
  sinceSec: number,
): Promise<{ graph: ServiceGraph; json: ReturnType<typeof serviceGraphToJson> }> {
  const untilMs = Date.now();
  const usage = await store.audit.usage({ sinceMs: untilMs - sinceSec * 1000, untilMs });
  const graph = buildServiceGraph(usage, await store.clients.list());
  return { graph, json: serviceGraphToJson(graph) };
}
