import type { ServiceGraph } from './build-service-graph.js';
import { edgeLabelLines, nodeLabelLines } from './internal/service-graph-labels.js';

/**
 * The service graph in Graphviz DOT (`dot -Tsvg`), left to right. Edges are labelled with token
 * count, scopes and refusals by reason; an edge with only refusals is dashed, and every edge with
 * refusals is red (the label says it too, for readers without colour).
 *
 * @param graph - from {@link buildServiceGraph}.
 * @returns the DOT source, ending with a newline.
 */
export function formatServiceGraphDot(graph: ServiceGraph): string {
  const lines = ['digraph services {', '  rankdir=LR;', '  node [shape=box];'];
  for (const node of graph.nodes) {
    lines.push(`  ${quote(node.id)} [label=${quote(nodeLabelLines(node).join('\n'))}];`);
  }
  for (const edge of graph.edges) {
    const attributes = [`label=${quote(edgeLabelLines(edge).join('\n'))}`];
    if (edge.tokens === 0) attributes.push('style=dashed');
    if (edge.refusals > 0) attributes.push('color=red', 'fontcolor=red');
    lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** A DOT quoted string; a newline becomes DOT's `\n` line break. */
function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}
