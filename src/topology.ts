/**
 * The whole system at a glance. One typed declaration read by the embedded runtime (platform/local),
 * and later by the AWS stack and the diagram generator: services, HTTP routes, the event topic,
 * every queue with its dead-letter queue, and the databases. Nothing here runs; it only declares.
 * Over 300 lines on purpose: the whole system in one place is the point.
 */

export type ServiceName = 'sales' | 'warehouse' | 'notifications' | 'customers' | 'ops' | 'dashboard';
export type DatabaseName = 'inventory' | 'customers' | 'notifications';

/**
 * The queue consumers and scheduled jobs each service's code provides, by name. The topology may name
 * only these, and each service's handler table must have them (`ServiceOf` in platform/service.ts), so a
 * typo on either side fails the type check.
 */
export interface ServiceHandlers {
  sales: { consumers: never; jobs: 'forgetExpiredKeys' | 'planReplenishment' };
  warehouse: { consumers: 'placeFactoryOrder' | 'restock'; jobs: 'reorderTimedOut' };
  notifications: { consumers: 'sendAdsMail'; jobs: never };
  customers: { consumers: 'recordPurchase' | 'forwardPromotion'; jobs: never };
  ops: { consumers: never; jobs: never };
  dashboard: { consumers: never; jobs: never };
}
export type ConsumerName<S extends ServiceName> = ServiceHandlers[S]['consumers'];
export type JobName<S extends ServiceName> = ServiceHandlers[S]['jobs'];

/** A consumer a queue names: a service and one of that service's consumers. */
export type ConsumerRef = {
  [S in ServiceName]: { readonly service: S; readonly handler: ConsumerName<S> };
}[ServiceName];
/** A job a schedule names: a service and one of that service's jobs. */
export type JobRef = { [S in ServiceName]: { readonly service: S; readonly handler: JobName<S> } }[ServiceName];
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDeclaration {
  readonly method: HttpMethod;
  /** Hono/API Gateway style path, `:param` for a segment. */
  readonly path: string;
  readonly service: ServiceName;
  /** `admin` routes need the admin bearer token; the gateway enforces it before the service sees the request. */
  readonly auth: 'public' | 'admin';
  readonly summary: string;
}

export interface QueueDeclaration {
  /** kebab-case noun for what the consumer receives; its DLQ is `<name>-dlq`. */
  readonly name: string;
  readonly purpose: string;
  /** Events from the topic routed here by a filter policy on the `type` attribute; empty when fed directly. */
  readonly events: readonly EventName[];
  /** The service that sends to this queue directly (not through the topic), if any. */
  readonly producer?: ServiceName;
  readonly consumer: ConsumerRef;
  readonly visibilityTimeoutS: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /**
   * Its consumer calls the legacy factory: the visibility timeout must outlast a whole factory call
   * (`factoryCallWindowMs`), or the queue hands the message to a second consumer mid-call. Checked at start.
   */
  readonly callsFactory?: boolean;
  /** Batches handled at once: by the local poller, or as Lambda maximum concurrency. */
  readonly concurrency: number;
}

export type EventName =
  | 'order.placed'
  | 'order.cancelled'
  | 'replenishment.requested'
  | 'replenishment.completed'
  | 'customer.promoted';

export interface EventDeclaration {
  readonly name: EventName;
  readonly producer: ServiceName;
  readonly description: string;
  /** A high-volume event that may wait behind the others in the outbox (they take the priority lane). */
  readonly bulk?: boolean;
}

export interface DatabaseDeclaration {
  readonly name: DatabaseName;
  readonly services: readonly ServiceName[];
  /** Environment variable holding a PostgreSQL URL; without it the database is embedded PGlite in DATA_DIR. */
  readonly urlVariable: string;
}

export interface ScheduleDeclaration {
  readonly name: string;
  readonly purpose: string;
  readonly job: JobRef;
  readonly everyS: number;
}

export interface Topology {
  readonly name: string;
  readonly topic: { readonly name: string };
  readonly services: Readonly<Record<ServiceName, { readonly description: string }>>;
  readonly databases: readonly DatabaseDeclaration[];
  readonly events: readonly EventDeclaration[];
  readonly queues: readonly QueueDeclaration[];
  readonly routes: readonly RouteDeclaration[];
  readonly schedules: readonly ScheduleDeclaration[];
  readonly external: { readonly factory: { readonly description: string } };
}

export const topology: Topology = {
  name: 'donut-states',
  topic: { name: 'donut-events' },
  services: {
    sales: { description: 'products and checkout; writes orders and events in one transaction' },
    warehouse: { description: 'replenishment: orders from the factory, takes its signed callback, restocks' },
    notifications: {
      description: 'tells the advertising manager to pause and resume ads, once per replenishment (SES)',
    },
    customers: {
      description: 'counts what each customer bought, once per order, and promotes to VIP; its own database',
    },
    ops: { description: 'health, metrics, queue and dead-letter operations' },
    dashboard: {
      description: 'the live dashboard, the architecture diagram and the API docs; reads, never writes',
    },
  },
  databases: [
    { name: 'inventory', services: ['sales', 'warehouse'], urlVariable: 'DATABASE_URL' },
    { name: 'customers', services: ['customers'], urlVariable: 'CUSTOMERS_DATABASE_URL' },
    { name: 'notifications', services: ['notifications'], urlVariable: 'NOTIFICATIONS_DATABASE_URL' },
  ],
  events: [
    { name: 'order.placed', producer: 'sales', description: 'a checkout confirmed an order', bulk: true },
    {
      name: 'order.cancelled',
      producer: 'sales',
      description: 'an order was cancelled and its stock returned (once per order)',
    },
    {
      name: 'replenishment.requested',
      producer: 'sales',
      description: 'stock fell to the reorder point (or ran short) and a replenishment opened',
    },
    {
      name: 'replenishment.completed',
      producer: 'warehouse',
      description: 'the factory delivered; stock was raised once and the replenishment closed',
    },
    {
      name: 'customer.promoted',
      producer: 'customers',
      description: 'a customer reached the VIP threshold and became vip (once per customer)',
    },
  ],
  queues: [
    {
      name: 'factory-orders',
      purpose: 'one message per opened replenishment; its consumer places the order at the legacy factory',
      events: ['replenishment.requested'],
      consumer: { service: 'warehouse', handler: 'placeFactoryOrder' },
      // Longer than a call to the slow factory (FACTORY_TIMEOUT_MS and its margin), see callsFactory.
      visibilityTimeoutS: 20,
      maxReceiveCount: 3,
      batchSize: 10,
      concurrency: 2,
      callsFactory: true,
    },
    {
      name: 'stock-arrivals',
      purpose: 'verified factory callbacks; its consumer raises stock and closes the replenishment, at most once',
      events: [],
      producer: 'warehouse',
      consumer: { service: 'warehouse', handler: 'restock' },
      visibilityTimeoutS: 5,
      maxReceiveCount: 3,
      batchSize: 10,
      concurrency: 2,
    },
    {
      name: 'ad-notifications',
      purpose: 'replenishments opened and closed; its consumer mails "pause ads" / "resume ads", once each',
      events: ['replenishment.requested', 'replenishment.completed'],
      consumer: { service: 'notifications', handler: 'sendAdsMail' },
      // Longer than a mail's claim (the send timeout and its margin): a delivery that comes back after
      // its consumer died finds the claim lapsed and sends, instead of spending a receive on it.
      visibilityTimeoutS: 10,
      maxReceiveCount: 3,
      batchSize: 10,
      concurrency: 1,
    },
    {
      name: 'marketing-promotions',
      purpose: 'customers promoted to VIP; its consumer POSTs each to MARKETING_WEBHOOK_URL, once',
      events: ['customer.promoted'],
      consumer: { service: 'customers', handler: 'forwardPromotion' },
      visibilityTimeoutS: 5,
      maxReceiveCount: 3,
      batchSize: 10,
      concurrency: 1,
    },
    {
      name: 'customer-purchases',
      purpose:
        'placed and cancelled orders; its consumer adds each order once to the customer (promoting to VIP) and takes a cancelled one off once',
      events: ['order.placed', 'order.cancelled'],
      consumer: { service: 'customers', handler: 'recordPurchase' },
      visibilityTimeoutS: 5,
      maxReceiveCount: 3,
      batchSize: 10,
      concurrency: 4,
    },
  ],
  routes: [
    { method: 'GET', path: '/products', service: 'sales', auth: 'public', summary: 'list products' },
    { method: 'GET', path: '/products/:sku', service: 'sales', auth: 'public', summary: 'one product' },
    { method: 'PUT', path: '/products/:sku', service: 'sales', auth: 'admin', summary: 'create or replace a product' },
    { method: 'POST', path: '/checkout', service: 'sales', auth: 'public', summary: 'buy; decrements stock' },
    {
      method: 'GET',
      path: '/orders/:id',
      service: 'sales',
      auth: 'admin',
      summary: 'an order with its lines and status',
    },
    {
      method: 'POST',
      path: '/orders/:id/cancel',
      service: 'sales',
      auth: 'admin',
      summary: 'cancel an order; its stock returns once',
    },
    {
      method: 'POST',
      path: '/factory/callbacks/:replenishmentId',
      service: 'warehouse',
      auth: 'public',
      summary: 'signed callback from the legacy factory (signature checked by the service)',
    },
    {
      method: 'GET',
      path: '/customers/:id',
      service: 'customers',
      auth: 'public',
      summary: 'a customer: tier and quantity bought',
    },
    {
      method: 'GET',
      path: '/ops/notifications',
      service: 'notifications',
      auth: 'admin',
      summary: 'the pause/resume-ads emails sent',
    },
    { method: 'GET', path: '/health', service: 'ops', auth: 'public', summary: 'health of every component' },
    { method: 'GET', path: '/metrics', service: 'ops', auth: 'public', summary: 'Prometheus metrics' },
    { method: 'GET', path: '/ops/queues', service: 'ops', auth: 'admin', summary: 'depth of every queue and its DLQ' },
    { method: 'GET', path: '/ops/dlq/:queue', service: 'ops', auth: 'admin', summary: 'messages waiting in a DLQ' },
    {
      method: 'POST',
      path: '/ops/dlq/:queue/redrive',
      service: 'ops',
      auth: 'admin',
      summary: 'move a DLQ back to its queue',
    },
    { method: 'DELETE', path: '/ops/dlq/:queue', service: 'ops', auth: 'admin', summary: 'purge a DLQ' },
    {
      method: 'GET',
      path: '/ops/replenishment-plan',
      service: 'sales',
      auth: 'admin',
      summary: 'every product: stock, on order, demand, lead time, reorder point, suggested order (JSON or CSV)',
    },
    { method: 'GET', path: '/', service: 'dashboard', auth: 'public', summary: 'the live dashboard (HTML)' },
    {
      method: 'GET',
      path: '/dashboard/assets/:file',
      service: 'dashboard',
      auth: 'public',
      summary: 'dashboard scripts, styles and the architecture diagram',
    },
    {
      method: 'GET',
      path: '/dashboard/events',
      service: 'dashboard',
      auth: 'public',
      summary: 'live dashboard snapshots (Server-Sent Events)',
    },
    {
      method: 'GET',
      path: '/dashboard/snapshot',
      service: 'dashboard',
      auth: 'public',
      summary: 'one dashboard snapshot',
    },
    { method: 'GET', path: '/openapi.json', service: 'dashboard', auth: 'public', summary: 'this API as OpenAPI 3.1' },
    { method: 'GET', path: '/docs', service: 'dashboard', auth: 'public', summary: 'API documentation (HTML)' },
  ],
  schedules: [
    {
      name: 'replenishment-timeouts',
      purpose: 're-order replenishments the factory has not delivered within REPLENISHMENT_TIMEOUT_S',
      job: { service: 'warehouse', handler: 'reorderTimedOut' },
      everyS: 10,
    },
    {
      name: 'idempotency-key-expiry',
      purpose: 'forget Idempotency-Keys older than IDEMPOTENCY_TTL_S, in bounded batches',
      job: { service: 'sales', handler: 'forgetExpiredKeys' },
      everyS: 60,
    },
    {
      name: 'replenishment-planning',
      purpose: 'fold new sales into demand, measure factory lead times, plan adaptive reorder points',
      job: { service: 'sales', handler: 'planReplenishment' },
      everyS: 2,
    },
  ],
  external: { factory: { description: 'legacy factory: POST /api/manufactures, calls back when done' } },
};

export const deadLetterQueueName = (queue: Pick<QueueDeclaration, 'name'>): string => `${queue.name}-dlq`;
