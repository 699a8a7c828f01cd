import { deadLetterQueueName, type ServiceName, type Topology } from '../topology.ts';

/**
 * The architecture picture, derived from the topology alone so it cannot drift from the code:
 * `npm run diagram` writes docs/architecture.mmd (Mermaid) and docs/architecture.svg (laid out here,
 * in columns: gateway -> services -> topic -> queues with their DLQs -> consumers -> databases and
 * external systems). The dashboard shows the same SVG and writes live counts into the empty
 * `data-live` labels of its edges.
 */

type NodeKind = 'gateway' | 'schedule' | 'service' | 'topic' | 'queue' | 'dlq' | 'consumer' | 'database' | 'external';

export interface DiagramNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly title: string;
  readonly subtitle: string;
  readonly description: string;
  readonly column: number;
}

export interface DiagramEdge {
  /** Stable id; the dashboard keys its live counts on it (`http:sales`, `sub:factory-orders`, …). */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Events whose published count this edge shows live (producer -> topic). */
  readonly events?: readonly string[];
  readonly style?: 'dashed';
}

export interface DiagramGraph {
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/**
 * Outbound calls of consumers. The topology does not declare calls to systems outside it, so they
 * are listed here; the diagram test checks every entry still names a declared consumer.
 */
export const OUTBOUND_CALLS: Readonly<
  Record<string, { readonly id: string; readonly title: string; readonly subtitle: string; readonly label: string }>
> = {
  'warehouse.placeFactoryOrder': {
    id: 'factory',
    title: 'legacy factory',
    subtitle: 'external, HTTP',
    label: 'POST /api/manufactures',
  },
  'notifications.sendAdsMail': { id: 'ses', title: 'SES', subtitle: 'mail to the ad manager', label: 'SendEmail' },
  'customers.forwardPromotion': {
    id: 'marketing',
    title: 'marketing webhook',
    subtitle: 'external, HTTP',
    label: 'POST new VIP',
  },
};

const serviceNames = (topology: Topology) => Object.keys(topology.services) as ServiceName[];

export function buildGraph(topology: Topology): DiagramGraph {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  nodes.push({
    id: 'gateway',
    kind: 'gateway',
    title: 'HTTP gateway',
    subtitle: `${topology.routes.length} routes`,
    description: 'every declared route, admin routes behind the bearer token',
    column: 0,
  });
  for (const schedule of topology.schedules) {
    nodes.push({
      id: `schedule:${schedule.name}`,
      kind: 'schedule',
      title: schedule.name,
      subtitle: `every ${schedule.everyS} s`,
      description: schedule.purpose,
      column: 0,
    });
    edges.push({
      id: `job:${schedule.name}`,
      from: `schedule:${schedule.name}`,
      to: `service:${schedule.job.service}`,
      label: schedule.job.handler,
    });
  }
  for (const name of serviceNames(topology)) {
    const routes = topology.routes.filter((r) => r.service === name).length;
    const databases = topology.databases.filter((d) => d.services.includes(name)).map((d) => d.name);
    nodes.push({
      id: `service:${name}`,
      kind: 'service',
      title: name,
      subtitle: databases.length > 0 ? `db: ${databases.join(', ')}` : 'no database',
      description: topology.services[name].description,
      column: 1,
    });
    if (routes > 0) {
      edges.push({
        id: `http:${name}`,
        from: 'gateway',
        to: `service:${name}`,
        label: `${routes} route${routes === 1 ? '' : 's'}`,
      });
    }
  }
  nodes.push({
    id: 'topic',
    kind: 'topic',
    title: topology.topic.name,
    subtitle: 'SNS topic',
    description: 'every event, with its type as a message attribute for the filter policies',
    column: 2,
  });
  for (const name of serviceNames(topology)) {
    const events = topology.events.filter((e) => e.producer === name).map((e) => e.name);
    if (events.length === 0) continue;
    edges.push({
      id: `publish:${name}`,
      from: `service:${name}`,
      to: 'topic',
      label: 'outbox',
      events,
    });
  }
  // Topic-fed queues first, directly fed ones after, so the direct edges pass below the topic.
  const queues = [...topology.queues].sort((a, b) => Number(a.events.length === 0) - Number(b.events.length === 0));
  for (const queue of queues) {
    const dlq = deadLetterQueueName(queue);
    const consumer = `${queue.consumer.service}.${queue.consumer.handler}`;
    nodes.push({
      id: `queue:${queue.name}`,
      kind: 'queue',
      title: queue.name,
      subtitle: `SQS, batch ${queue.batchSize} x ${queue.concurrency}`,
      description: queue.purpose,
      column: 3,
    });
    nodes.push({
      id: `dlq:${queue.name}`,
      kind: 'dlq',
      title: dlq,
      subtitle: '',
      description: `dead letters of ${queue.name}, after ${queue.maxReceiveCount} receives`,
      column: 3,
    });
    nodes.push({
      id: `consumer:${queue.name}`,
      kind: 'consumer',
      title: queue.consumer.handler,
      subtitle: `${queue.consumer.service} consumer`,
      description: `${queue.consumer.service} handler for ${queue.name}; partial batch failures`,
      column: 4,
    });
    if (queue.events.length > 0) {
      edges.push({ id: `sub:${queue.name}`, from: 'topic', to: `queue:${queue.name}`, label: queue.events.join(', ') });
    }
    if (queue.producer) {
      edges.push({
        id: `send:${queue.name}`,
        from: `service:${queue.producer}`,
        to: `queue:${queue.name}`,
        label: 'SendMessage',
      });
    }
    edges.push({
      id: `dlq:${queue.name}`,
      from: `queue:${queue.name}`,
      to: `dlq:${queue.name}`,
      label: `after ${queue.maxReceiveCount} receives`,
    });
    edges.push({ id: `consume:${queue.name}`, from: `queue:${queue.name}`, to: `consumer:${queue.name}`, label: '' });
    for (const database of topology.databases.filter((d) => d.services.includes(queue.consumer.service))) {
      edges.push({
        id: `db:${queue.name}:${database.name}`,
        from: `consumer:${queue.name}`,
        to: `database:${database.name}`,
        label: '',
      });
    }
    const outbound = OUTBOUND_CALLS[consumer];
    if (outbound) {
      edges.push({
        id: `call:${queue.name}`,
        from: `consumer:${queue.name}`,
        to: `external:${outbound.id}`,
        label: outbound.label,
      });
    }
  }
  for (const database of topology.databases) {
    nodes.push({
      id: `database:${database.name}`,
      kind: 'database',
      title: database.name,
      subtitle: 'PostgreSQL database',
      description: `used by ${database.services.join(', ')}; embedded PGlite unless ${database.urlVariable} is set`,
      column: 5,
    });
  }
  const consumers = new Set(topology.queues.map((q) => `${q.consumer.service}.${q.consumer.handler}`));
  const externals = new Map<string, (typeof OUTBOUND_CALLS)[string]>();
  for (const [consumer, outbound] of Object.entries(OUTBOUND_CALLS)) {
    if (consumers.has(consumer)) externals.set(outbound.id, outbound);
  }
  // The factory last: its callback edge leaves from its bottom.
  const ordered = [...externals.values()].sort((a, b) => Number(a.id === 'factory') - Number(b.id === 'factory'));
  for (const external of ordered) {
    nodes.push({
      id: `external:${external.id}`,
      kind: 'external',
      title: external.title,
      subtitle: external.subtitle,
      description: external.id === 'factory' ? topology.external.factory.description : external.subtitle,
      column: 5,
    });
  }
  const callback = topology.routes.find((r) => r.path.startsWith('/factory/'));
  if (externals.has('factory') && callback) {
    edges.push({
      id: 'callback',
      from: 'external:factory',
      to: 'gateway',
      label: `${callback.method} ${callback.path}`,
      style: 'dashed',
    });
  }
  return { nodes, edges };
}

// ---------------------------------------------------------------------------------------------- Mermaid

const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');
const mermaidText = (text: string) => text.replace(/"/g, '#quot;');

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

// -------------------------------------------------------------------------------------------------- SVG

const COLUMN_WIDTH = 190;
const COLUMN_GAP = 140;
const MARGIN = 36;
const TOP = 64;
const NODE_HEIGHT = 48;
const DLQ_HEIGHT = 30;
const ROW_GAP = 22;
const QUEUE_TO_DLQ = 20;

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

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const round = (n: number) => Math.round(n * 10) / 10;

function layout(graph: DiagramGraph): { boxes: Map<string, Box>; width: number; height: number } {
  const boxes = new Map<string, Box>();
  const x = (column: number) => MARGIN + column * (COLUMN_WIDTH + COLUMN_GAP);
  const stack = (ids: readonly string[], column: number, startY: number) => {
    let y = startY;
    for (const id of ids) {
      const node = graph.nodes.find((n) => n.id === id)!;
      const height = node.kind === 'dlq' ? DLQ_HEIGHT : NODE_HEIGHT;
      boxes.set(id, { x: x(column), y, width: COLUMN_WIDTH, height });
      y += height + (node.kind === 'queue' ? QUEUE_TO_DLQ : ROW_GAP);
    }
    return y;
  };
  const inColumn = (column: number) => graph.nodes.filter((n) => n.column === column).map((n) => n.id);
  const centerY = (ids: readonly string[]) => {
    const ys = ids.map((id) => boxes.get(id)).filter((b): b is Box => b !== undefined);
    return ys.length === 0 ? TOP : ys.reduce((sum, b) => sum + b.y + b.height / 2, 0) / ys.length;
  };

  // Queues set the rhythm; their consumers sit beside them.
  const queueIds = inColumn(3);
  const bottom3 = stack(queueIds, 3, TOP);
  for (const id of inColumn(4)) {
    const queue = boxes.get(id.replace(/^consumer:/, 'queue:'))!;
    boxes.set(id, { x: x(4), y: queue.y, width: COLUMN_WIDTH, height: NODE_HEIGHT });
  }
  // The topic at the top, so edges that skip it (a service sending to a queue directly) pass below.
  boxes.set('topic', { x: x(2), y: TOP, width: COLUMN_WIDTH, height: NODE_HEIGHT });
  // Services and the right-hand column, each stacked from the top.
  const bottom1 = stack(inColumn(1), 1, TOP);
  const column5 = inColumn(5);
  const bottom5 = stack(column5, 5, TOP);
  // The gateway centred on the services it serves, schedules under it.
  const served = graph.edges.filter((e) => e.from === 'gateway').map((e) => e.to);
  const gatewayY = Math.max(TOP, centerY(served) - NODE_HEIGHT / 2);
  const bottom0 = stack(inColumn(0), 0, gatewayY);
  const height = Math.max(bottom0, bottom1, bottom3, bottom5) + 40;
  return { boxes, width: x(5) + COLUMN_WIDTH + MARGIN, height };
}

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
    const cx = MARGIN + column * (COLUMN_WIDTH + COLUMN_GAP) + COLUMN_WIDTH / 2;
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
