import type { DiagramGraph } from './graph.ts';

export const COLUMN_WIDTH = 190;
const COLUMN_GAP = 140;
const MARGIN = 36;
const TOP = 64;
const NODE_HEIGHT = 48;
const DLQ_HEIGHT = 30;
const ROW_GAP = 22;
const QUEUE_TO_DLQ = 20;

/** The left edge of a column. */
export const columnX = (column: number) => MARGIN + column * (COLUMN_WIDTH + COLUMN_GAP);

/** Where a node is drawn. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One decimal: enough for a drawing, and stable text. */
export const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Places every node in its column: queues set the rhythm with their DLQs under them, consumers beside
 * their queues, the topic at the top, the gateway centred on the services it serves.
 */
export function layout(graph: DiagramGraph): { boxes: Map<string, Box>; width: number; height: number } {
  const boxes = new Map<string, Box>();
  const stack = (ids: readonly string[], column: number, startY: number) => {
    let y = startY;
    for (const id of ids) {
      const node = graph.nodes.find((n) => n.id === id)!;
      const height = node.kind === 'dlq' ? DLQ_HEIGHT : NODE_HEIGHT;
      boxes.set(id, { x: columnX(column), y, width: COLUMN_WIDTH, height });
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
    boxes.set(id, { x: columnX(4), y: queue.y, width: COLUMN_WIDTH, height: NODE_HEIGHT });
  }
  // The topic at the top, so edges that skip it (a service sending to a queue directly) pass below.
  boxes.set('topic', { x: columnX(2), y: TOP, width: COLUMN_WIDTH, height: NODE_HEIGHT });
  // Services and the right-hand column, each stacked from the top.
  const bottom1 = stack(inColumn(1), 1, TOP);
  const column5 = inColumn(5);
  const bottom5 = stack(column5, 5, TOP);
  // The gateway centred on the services it serves, schedules under it.
  const served = graph.edges.filter((e) => e.from === 'gateway').map((e) => e.to);
  const gatewayY = Math.max(TOP, centerY(served) - NODE_HEIGHT / 2);
  const bottom0 = stack(inColumn(0), 0, gatewayY);
  const height = Math.max(bottom0, bottom1, bottom3, bottom5) + 40;
  return { boxes, width: columnX(5) + COLUMN_WIDTH + MARGIN, height };
}
