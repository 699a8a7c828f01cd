import { deadLetterQueueName, type ServiceName, type Topology } from '../topology.ts';

/** What a node stands for; sets its shape and colour. */
export type NodeKind =
  | 'gateway'
  | 'schedule'
  | 'service'
  | 'topic'
  | 'queue'
  | 'dlq'
  | 'consumer'
  | 'database'
  | 'external';

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

/** Every component of the topology as a node in its column, every connection between them as an edge. */
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
