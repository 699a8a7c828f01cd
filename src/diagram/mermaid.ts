import type { Topology } from '../topology.ts';
import { buildGraph, type NodeKind } from './graph.ts';

const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');
const mermaidText = (text: string) => text.replace(/"/g, '#quot;');

/** The Mermaid flowchart of the topology, one subgraph per column. */
export function renderMermaid(topology: Topology): string {
  const { nodes, edges } = buildGraph(topology);
  const shape: Record<NodeKind, [string, string]> = {
    gateway: ['[', ']'],
    schedule: ['([', '])'],
    service: ['[', ']'],
    topic: ['{{', '}}'],
    queue: ['[/', '/]'],
    dlq: ['[/', '/]'],
    consumer: ['(', ')'],
    database: ['[(', ')]'],
    external: ['>', ']'],
  };
  const groups: [string, number][] = [
    ['edge', 0],
    ['services', 1],
    ['events', 2],
    ['queues', 3],
    ['consumers', 4],
    ['data and external systems', 5],
  ];
  const lines = [`%% Generated from src/topology.ts by \`npm run diagram\`; do not edit.`, 'flowchart LR'];
  for (const [name, column] of groups) {
    lines.push(`  subgraph ${mermaidId(name)}["${name}"]`);
    for (const node of nodes.filter((n) => n.column === column)) {
      const [open, close] = shape[node.kind];
      const label = node.subtitle ? `${node.title}<br/><small>${node.subtitle}</small>` : node.title;
      lines.push(`    ${mermaidId(node.id)}${open}"${mermaidText(label)}"${close}`);
    }
    lines.push('  end');
  }
  for (const edge of edges) {
    const arrow = edge.style === 'dashed' ? '-.->' : '-->';
    const label = edge.label ? `|"${mermaidText(edge.label)}"|` : '';
    lines.push(`  ${mermaidId(edge.from)} ${arrow}${label} ${mermaidId(edge.to)}`);
  }
  return `${lines.join('\n')}\n`;
}
