import type { ServiceGraphEdge, ServiceGraphNode } from '../build-service-graph.js';

/** Lines of a node's label: its name, then what is unusual about it. */
export function nodeLabelLines(node: ServiceGraphNode): string[] {
  const lines = [node.id];
  if (!node.registered && node.clientId !== null) lines.push('(unregistered client_id)');
  if (node.revoked) lines.push('(revoked)');
  if (node.refusalsWithoutAudience > 0) {
    lines.push(`${node.refusalsWithoutAudience} refused without audience`);
  }
  return lines;
}

/** Lines of an edge's label: token count and scopes, then refusals by reason (readable without colour). */
export function edgeLabelLines(edge: ServiceGraphEdge): string[] {
  const lines: string[] = [];
  if (edge.tokens > 0) {
    lines.push(`${edge.tokens} ${edge.tokens === 1 ? 'token' : 'tokens'}`);
    // A scope carried by fewer than all the edge's tokens shows its own count.
    const scopes = edge.scopes
      .map((s) => (s.tokens === edge.tokens ? s.scope : `${s.scope} (${s.tokens})`))
      .join(' ');
    if (scopes !== '') lines.push(scopes);
  }
  if (edge.refusals > 0) {
    const single = edge.refusalReasons.length === 1;
    const reasons = edge.refusalReasons
      .map((r) => (single ? r.reason : `${r.reason}: ${r.count}`))
      .join(', ');
    lines.push(`${edge.refusals} refused (${reasons})`);
  }
  return lines;
}
