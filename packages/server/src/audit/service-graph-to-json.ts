import type { ServiceGraph } from './build-service-graph.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The JSON form of a {@link ServiceGraph}, as printed by `m2m-auth audit graph --format json`:
 * snake_case names, times as ISO 8601 UTC strings (null when unknown). A console can serve the
 * same document.
 */
export function serviceGraphToJson(graph: ServiceGraph) {
  return {
    since: iso(graph.sinceMs),
    until: iso(graph.untilMs),
    first_event: iso(graph.firstEventMs),
    nodes: graph.nodes.map((node) => ({
      id: node.id,
      client_id: node.clientId,
      registered: node.registered,
      revoked: node.revoked,
      tokens_issued: node.tokensIssued,
      tokens_received: node.tokensReceived,
      refusals: node.refusals,
      refusals_without_audience: node.refusalsWithoutAudience,
    })),
    edges: graph.edges.map((edge) => ({
      from: edge.from,
      to: edge.to,
      client_id: edge.clientId,
      tokens: edge.tokens,
      scopes: edge.scopes,
      refusals: edge.refusals,
      refusal_reasons: edge.refusalReasons,
      last_issued: iso(edge.lastIssuedMs),
      last_refused: iso(edge.lastRefusedMs),
    })),
    unattributed_refusals: graph.unattributedRefusals,
    totals: graph.totals,
    truncated: graph.truncated,
  };
}
