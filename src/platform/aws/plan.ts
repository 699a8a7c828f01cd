import type {
  DatabaseName,
  QueueDeclaration,
  RouteDeclaration,
  ScheduleDeclaration,
  ServiceName,
  Topology,
} from '../../topology.ts';

/**
 * What a service's code needs on AWS beyond what the topology already says (its databases, the events
 * it produces, the queues it feeds and consumes). Kept beside the stack, not in the topology, because
 * it is about code and credentials, not about the shape of the system.
 */
export interface ServiceNeeds {
  /** Signs factory CallbackUrls and verifies callbacks with the HMAC secret. */
  readonly callbackSecret?: boolean;
  /** Sends mail through SES from MAIL_FROM. */
  readonly sendsMail?: boolean;
  /** Reads every database (health checks, read models), not only the ones the topology gives it. */
  readonly readsAllDatabases?: boolean;
  /** Beyond its own queues: `depths` reads every queue's counters; `dead-letters` also lists, redrives and purges DLQs. */
  readonly queues?: 'depths' | 'dead-letters';
  /** Asks SES whether sending is enabled (health). */
  readonly checksMail?: boolean;
  /** Only reads its databases: it logs in as their read-only role, never with the owner's credentials. */
  readonly readOnly?: boolean;
}

const SERVICE_NEEDS: Readonly<Partial<Record<ServiceName, ServiceNeeds>>> = {
  warehouse: { callbackSecret: true },
  notifications: { sendsMail: true },
  // Health pings, queue and DLQ operations (SQS only) and the metrics' stock gauge: nothing writes a database.
  ops: { readsAllDatabases: true, readOnly: true, queues: 'dead-letters', checksMail: true },
  dashboard: { readsAllDatabases: true, readOnly: true, queues: 'depths' },
};

export type FunctionKind = 'http' | 'consumer' | 'relay' | 'job' | 'migrate';

/** One Lambda function and exactly what it may reach; the stack turns each field into a grant. */
export interface FunctionPlan {
  /** Unique, PascalCase: the construct id (`HttpSales`, `ConsumeFactoryOrders`, `RelayInventory`…). */
  readonly id: string;
  readonly kind: FunctionKind;
  /** The service whose code runs (http, consumer, job). */
  readonly service: ServiceName | undefined;
  readonly queue: QueueDeclaration | undefined;
  /** The database a relay or migration function is about. */
  readonly database: DatabaseName | undefined;
  readonly schedule: ScheduleDeclaration | undefined;
  /** http: the routes API Gateway sends here. */
  readonly routes: readonly RouteDeclaration[];
  /** Databases it connects to, by topology name. */
  readonly databases: readonly string[];
  /** May publish to the topic (it relays an outbox its service writes). */
  readonly publishes: boolean;
  /** Queues it sends to directly (the topology's `producer`). */
  readonly sendsTo: readonly string[];
  readonly needs: ServiceNeeds;
  /** Serves admin routes, so it reads the admin token. */
  readonly adminToken: boolean;
  /** Also answers API Gateway's `$default` route, so an undeclared path gets the contract's 404. */
  readonly fallback: boolean;
}

const pascal = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/** Services that produce at least one event. */
function producers(topology: Topology): Set<ServiceName> {
  return new Set(topology.events.map((e) => e.producer));
}

/** Databases with an outbox: those serving a service that produces events. */
export function outboxDatabases(topology: Topology): DatabaseName[] {
  const producing = producers(topology);
  return topology.databases.filter((d) => d.services.some((s) => producing.has(s))).map((d) => d.name);
}

/** The databases a service's code connects to. */
function databasesOf(topology: Topology, service: ServiceName): DatabaseName[] {
  if (SERVICE_NEEDS[service]?.readsAllDatabases) return topology.databases.map((d) => d.name);
  return topology.databases.filter((d) => d.services.includes(service)).map((d) => d.name);
}

function servicePlan(
  topology: Topology,
  service: ServiceName,
): Pick<FunctionPlan, 'service' | 'databases' | 'publishes' | 'sendsTo' | 'needs'> {
  const databases = databasesOf(topology, service);
  const outboxes = new Set(outboxDatabases(topology));
  const ownDatabases = topology.databases.filter((d) => d.services.includes(service)).map((d) => d.name);
  return {
    service,
    databases,
    publishes: producers(topology).has(service) && ownDatabases.some((d) => outboxes.has(d)),
    sendsTo: topology.queues.filter((q) => q.producer === service).map((q) => q.name),
    needs: SERVICE_NEEDS[service] ?? {},
  };
}

const none = {
  service: undefined,
  queue: undefined,
  database: undefined,
  schedule: undefined,
  routes: [],
  adminToken: false,
  fallback: false,
} as const;

/**
 * Every Lambda function the topology implies: one HTTP function per service with routes, one consumer
 * per queue, one job per schedule, one outbox relay per database with an outbox, one migration per
 * database. Pure: the stack and the tests read the same plan.
 */
export function planFunctions(topology: Topology): FunctionPlan[] {
  const plans: FunctionPlan[] = [];
  const services = Object.keys(topology.services) as ServiceName[];
  for (const service of services) {
    const routes = topology.routes.filter((r) => r.service === service);
    if (routes.length === 0) continue;
    plans.push({
      ...none,
      ...servicePlan(topology, service),
      id: `Http${pascal(service)}`,
      kind: 'http',
      routes,
      adminToken: routes.some((r) => r.auth === 'admin'),
      // Any HTTP function renders the contract's 404; the first one takes the unmatched paths.
      fallback: !plans.some((p) => p.kind === 'http'),
    });
  }
  for (const queue of topology.queues) {
    plans.push({
      ...none,
      ...servicePlan(topology, queue.consumer.service),
      id: `Consume${pascal(queue.name)}`,
      kind: 'consumer',
      queue,
    });
  }
  for (const schedule of topology.schedules) {
    plans.push({
      ...none,
      ...servicePlan(topology, schedule.job.service),
      id: `Job${pascal(schedule.name)}`,
      kind: 'job',
      schedule,
    });
  }
  for (const database of outboxDatabases(topology)) {
    plans.push({
      ...none,
      id: `Relay${pascal(database)}`,
      kind: 'relay',
      database,
      databases: [database],
      publishes: true,
      sendsTo: [],
      needs: {},
    });
  }
  for (const database of topology.databases) {
    plans.push({
      ...none,
      id: `Migrate${pascal(database.name)}`,
      kind: 'migrate',
      database: database.name,
      databases: [database.name],
      publishes: false,
      sendsTo: [],
      needs: {},
    });
  }
  return plans;
}

/** `/products/:sku` → `/products/{sku}` (API Gateway's path syntax). */
export function apiGatewayPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export { pascal };
