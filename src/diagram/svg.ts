import type { Topology } from '../topology.ts';
import { buildGraph, type NodeKind } from './graph.ts';
import { COLUMN_WIDTH, columnX, layout, round } from './svg-layout.ts';

const PALETTE: Record<NodeKind, { fill: string; stroke: string }> = {
  gateway: { fill: '#fde68a', stroke: '#b45309' },
  schedule: { fill: '#f5f5f4', stroke: '#78716c' },
  service: { fill: '#bfdbfe', stroke: '#1d4ed8' },
  topic: { fill: '#fbcfe8', stroke: '#be185d' },
  queue: { fill: '#ddd6fe', stroke: '#6d28d9' },
  dlq: { fill: '#fecaca', stroke: '#b91c1c' },
  consumer: { fill: '#bbf7d0', stroke: '#15803d' },
  database: { fill: '#e2e8f0', stroke: '#334155' },
  external: { fill: '#fed7aa', stroke: '#c2410c' },
};

const COLUMN_TITLES = ['edge', 'services', 'events', 'queues + DLQs', 'consumers', 'data and external'];

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The SVG picture of the topology, with an empty `data-live` label on every edge for live counts. */
export function renderSvg(topology: Topology): string {
  const graph = buildGraph(topology);
  const { boxes, width, height } = layout(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="arch-title arch-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" class="architecture">`,
    `<title id="arch-title">${escapeXml(topology.name)} architecture</title>`,
    `<desc id="arch-desc">Generated from src/topology.ts: ${graph.nodes.length} components and ${graph.edges.length} connections. Requests enter at the gateway, services publish events to the topic, the topic feeds queues with dead-letter queues, consumers work the queues and write to databases and external systems.</desc>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  );
  COLUMN_TITLES.forEach((title, column) => {
    const cx = columnX(column) + COLUMN_WIDTH / 2;
    out.push(
      `<text x="${cx}" y="34" text-anchor="middle" font-size="12" font-weight="600" fill="#64748b" letter-spacing="0.08em">${escapeXml(title.toUpperCase())}</text>`,
    );
  });

  // Edges under nodes.
  out.push('<g class="edges" fill="none">');
  for (const edge of graph.edges) {
    const a = boxes.get(edge.from)!;
    const b = boxes.get(edge.to)!;
    const dash = edge.style === 'dashed' ? ' stroke-dasharray="6 4"' : '';
    let path: string;
    // Event lists go one per line.
    const lines = edge.label.split(', ');
    let labelX: number;
    let labelY: number;
    // Where the live count goes: under the label, or beside the DLQ it counts.
    let liveX: number | undefined;
    let liveY: number | undefined;
    if (edge.id.startsWith('dlq:')) {
      // Straight down into the queue's own DLQ.
      const cx = a.x + 28;
      path = `M${cx},${a.y + a.height} L${cx},${b.y}`;
      labelX = cx + 8;
      labelY = b.y - 6;
      liveX = b.x + b.width + 8;
      liveY = b.y + b.height / 2 + 4;
    } else if (edge.id === 'callback') {
      // Around the outside: down from the factory, along the bottom, up the left margin into the gateway.
      const bottomY = height - 18;
      const leftX = 14;
      path = `M${a.x + a.width / 2},${a.y + a.height} L${a.x + a.width / 2},${bottomY} L${leftX},${bottomY} L${leftX},${b.y + b.height / 2} L${b.x},${b.y + b.height / 2}`;
      labelX = (a.x + a.width / 2 + leftX) / 2;
      labelY = bottomY - 6;
    } else {
      const x1 = a.x + a.width;
      const y1 = a.y + a.height / 2;
      const x2 = b.x;
      const y2 = b.y + b.height / 2;
      const dx = (x2 - x1) / 2;
      path = `M${x1},${round(y1)} C${round(x1 + dx)},${round(y1)} ${round(x2 - dx)},${round(y2)} ${x2},${round(y2)}`;
      // Fanned-out edges are labelled at their heads, where they are far apart; the others at their tails.
      const atHead = edge.from === 'gateway' || edge.from === 'topic' || edge.id.startsWith('send:');
      labelX = atHead ? x2 - 8 : x1 + 8;
      labelY = (atHead ? y2 : y1) - 6 - (atHead ? (lines.length - 1) * 12 : 0);
    }
    const anchor = edge.from === 'gateway' || edge.from === 'topic' || edge.id.startsWith('send:') ? 'end' : 'start';
    const live = edge.events ? ` data-events="${escapeXml(edge.events.join(' '))}"` : '';
    out.push(
      `<g class="edge" data-edge="${escapeXml(edge.id)}"><title>${escapeXml(`${byId.get(edge.from)!.title} → ${byId.get(edge.to)!.title}${edge.label ? `: ${edge.label}` : ''}`)}</title>`,
      `<path d="${path}" stroke="#475569" stroke-width="1.4"${dash} marker-end="url(#arrow)"/>`,
    );
    if (edge.label) {
      const spans = lines
        .map((line, i) => `<tspan x="${round(labelX)}" dy="${i === 0 ? 0 : 12}">${escapeXml(line)}</tspan>`)
        .join('');
      out.push(
        `<text x="${round(labelX)}" y="${round(labelY)}" text-anchor="${anchor}" font-size="10" fill="#334155" stroke="#ffffff" stroke-width="3" paint-order="stroke">${spans}</text>`,
      );
    }
    out.push(
      `<text x="${round(liveX ?? labelX)}" y="${round(liveY ?? labelY + 13 + (lines.length - 1) * 12)}" text-anchor="${liveX === undefined ? anchor : 'start'}" font-size="11" font-weight="700" fill="#0f766e" stroke="#ffffff" stroke-width="3" paint-order="stroke" class="live" data-live="${escapeXml(edge.id)}"${live}></text>`,
      '</g>',
    );
  }
  out.push('</g>');

  out.push('<g class="nodes">');
  for (const node of graph.nodes) {
    const box = boxes.get(node.id)!;
    const { fill, stroke } = PALETTE[node.kind];
    const rx = node.kind === 'consumer' ? 22 : node.kind === 'database' ? 14 : 8;
    out.push(
      `<g class="node node-${node.kind}" data-node="${escapeXml(node.id)}"><title>${escapeXml(`${node.title}: ${node.description}`)}</title>`,
      `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${node.kind === 'external' ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    if (node.subtitle) {
      out.push(
        `<text x="${box.x + box.width / 2}" y="${box.y + 20}" text-anchor="middle" font-size="13" font-weight="600" fill="#0f172a">${escapeXml(node.title)}</text>`,
        `<text x="${box.x + box.width / 2}" y="${box.y + 37}" text-anchor="middle" font-size="10.5" fill="#334155">${escapeXml(node.subtitle)}</text>`,
      );
    } else {
      out.push(
        `<text x="${box.x + box.width / 2}" y="${box.y + box.height / 2 + 4}" text-anchor="middle" font-size="12" font-weight="600" fill="#0f172a">${escapeXml(node.title)}</text>`,
      );
    }
    out.push('</g>');
  }
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}
