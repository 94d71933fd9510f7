import type { ServiceGraph } from './build-service-graph.js';
import { edgeLabelLines, nodeLabelLines } from './internal/service-graph-labels.js';

/**
 * The service graph as a Mermaid flowchart (left to right), for a README or any Mermaid viewer.
 * Nodes get generated ids (`n0`, `n1`, … in node order) and quoted labels, so any audience string
 * is safe; edges are labelled with token count, scopes and refusals by reason; an edge with only
 * refusals is dotted, and every edge with refusals is drawn red (the label says it too).
 *
 * @param graph - from {@link buildServiceGraph}.
 * @returns the Mermaid source, ending with a newline.
 */
export function formatServiceGraphMermaid(graph: ServiceGraph): string {
  const ids = new Map(graph.nodes.map((node, i) => [node.id, `n${i}`]));
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    lines.push(`  ${ids.get(node.id)}["${nodeLabelLines(node).map(escapeLabel).join('<br/>')}"]`);
  }
  const refused: number[] = [];
  graph.edges.forEach((edge, i) => {
    const arrow = edge.tokens === 0 ? '-.->' : '-->';
    const label = edgeLabelLines(edge).map(escapeLabel).join('<br/>');
    lines.push(`  ${ids.get(edge.from)} ${arrow}|"${label}"| ${ids.get(edge.to)}`);
    if (edge.refusals > 0) refused.push(i);
  });
  if (refused.length > 0) lines.push(`  linkStyle ${refused.join(',')} stroke:#d00,color:#d00`);
  return `${lines.join('\n')}\n`;
}

/** Mermaid entity codes for the characters that would end or mark up a quoted label. */
function escapeLabel(text: string): string {
  return text
    .replaceAll('#', '#35;')
    .replaceAll('"', '#quot;')
    .replaceAll('<', '#lt;')
    .replaceAll('>', '#gt;')
    .replaceAll('|', '#124;');
}
