import { createHmac, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { DashboardSnapshot, FactoryProgress, ReplenishmentProgress } from '../../contract/dashboard.ts';
import { FACTORY_STAGES } from '../../contract/factory.ts';
import { projectedStockOut } from '../../contract/planning.ts';
import type { CustomersTables } from '../../databases/customers/tables.ts';
import {
  type InventoryTables,
  OPEN_REPLENISHMENT_STATUSES,
  type ReplenishmentRow,
} from '../../databases/inventory/tables.ts';
import type { NotificationsTables } from '../../databases/notifications/tables.ts';
import type { SystemMetrics } from '../../platform/metrics.ts';
import type { QueueDepth } from '../../platform/queues.ts';

export interface DashboardSources {
  readonly inventory: Kysely<InventoryTables>;
  readonly customers: Kysely<CustomersTables>;
  readonly notifications: Kysely<NotificationsTables>;
  readonly queues: () => Promise<QueueDepth[]>;
  readonly metrics: SystemMetrics;
  /** Asked `GET {factoryUrl}/api/manufactures/{id}` for production stages; a factory without it just shows none. */
  readonly factoryUrl: string;
  readonly vipThreshold: number;
}

const MAX_PRODUCTS = 50;
const RECENT_ORDERS = 12;
const RECENT_MAILS = 10;
const TOP_CUSTOMERS = 10;
const THROUGHPUT_SECONDS = 60;
const FACTORY_PROBE_TIMEOUT_MS = 800;
/** A factory that did not report an order is asked again after this long, not every second. */
const FACTORY_RETRY_MS = 15_000;

const FactoryJobReport = z.object({
  stage: z.string(),
  callbacks: z.array(z.object({ at: z.string(), status: z.number().nullable() })).optional(),
});

/**
 * The dashboard's read model: it reads several services' databases (read-only, through their table
 * types in databases/) and the platform's queues and counters, and imports no other service. Everything it returns is public: customer ids become keyed hashes, mail addresses
 * are left out.
 */
export function createDashboardReadModel(sources: DashboardSources): () => Promise<DashboardSnapshot> {
  // Per process: handles are stable while the system runs and cannot be reversed by hashing guesses.
  // Nothing of the id itself shows: a short id would otherwise show whole.
  const handleKey = randomBytes(16);
  const customerHandle = (id: string) => `#${createHmac('sha256', handleKey).update(id).digest('hex').slice(0, 8)}`;
  const factory = factoryProbe(sources.factoryUrl);

  return async () => {
    const [products, replenishments, orders, throughput, mails, customers, queues, flow, cancelled] = await Promise.all(
      [
        sources.inventory
          .selectFrom('products as p')
          .leftJoin('product_planning as pp', 'pp.sku', 'p.sku')
          .selectAll('p')
          .select('pp.demand_per_s')
          .orderBy('p.sku')
          .limit(MAX_PRODUCTS)
          .execute(),
        latestReplenishments(sources.inventory),
        sources.inventory
          .selectFrom('orders')
          .select(['id', 'sku', 'quantity', 'customer_id', 'status', 'created_at'])
          .orderBy('created_at', 'desc')
          .limit(RECENT_ORDERS)
          .execute(),
        throughputPerSecond(sources.inventory),
        sources.notifications
          .selectFrom('notifications')
          .select(['kind', 'subject', 'sku', 'sent_at'])
          .where('status', '=', 'sent')
          .orderBy('sent_at', 'desc')
          .limit(RECENT_MAILS)
          .execute(),
        sources.customers
          .selectFrom('customers')
          .select(['id', 'tier', 'purchased_quantity'])
          .orderBy('purchased_quantity', 'desc')
          .orderBy('id')
          .limit(TOP_CUSTOMERS)
          .execute(),
        sources.queues(),
        flowCounters(sources.metrics),
        // Served by the partial index of cancelled orders, however many orders there are.
        sources.inventory
          .selectFrom('orders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'cancelled')
          .executeTakeFirstOrThrow(),
      ],
    );
    const progress = new Map(
      await Promise.all(replenishments.map(async (row) => [row.sku, await toProgress(row, factory)] as const)),
    );
    factory.keepOnly(new Set(replenishments.map((r) => r.id)));
    const now = new Date();
    return {
      at: now.toISOString(),
      products: products.map((p) => {
        // Not yet seen by the planning job: nothing measured.
        const demandPerSecond = p.demand_per_s ?? 0;
        const stockOut = projectedStockOut(p.stock, demandPerSecond, now);
        return {
          sku: p.sku,
          name: p.name,
          price: Number(p.price),
          stock: p.stock,
          reorderPoint: p.reorder_point,
          reorderQuantity: p.reorder_quantity,
          reorderPolicy: p.reorder_policy,
          replenishment: progress.get(p.sku) ?? null,
          planning: {
            demandPerSecond,
            // In force: a fixed product's effective columns are null (docs/planning.md).
            effectiveReorderPoint: p.effective_reorder_point ?? p.reorder_point,
            orderQuantity: p.effective_reorder_quantity ?? p.reorder_quantity,
            projectedStockOutAt: stockOut ? stockOut.toISOString() : null,
          },
        };
      }),
      queues,
      orders: orders.map((o) => ({
        id: o.id.slice(0, 8),
        sku: o.sku ?? 'cart',
        quantity: o.quantity,
        status: o.status,
        customer: customerHandle(o.customer_id),
        createdAt: iso(o.created_at),
      })),
      mails: mails.map((m) => ({ kind: m.kind, subject: m.subject, sku: m.sku, sentAt: iso(m.sent_at!) })),
      customers: customers.map((c) => ({
        customer: customerHandle(c.id),
        tier: c.tier,
        purchasedQuantity: c.purchased_quantity,
      })),
      vipThreshold: sources.vipThreshold,
      cancellations: Number(cancelled.n),
      throughput,
      flow,
    };
  };
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** Per product, its open replenishment, else its latest one. */
async function latestReplenishments(db: Kysely<InventoryTables>): Promise<ReplenishmentRow[]> {
  return db
    .selectFrom('replenishments')
    .selectAll()
    .distinctOn('sku')
    .orderBy('sku')
    .orderBy(sql`status in (${sql.join([...OPEN_REPLENISHMENT_STATUSES])})`, 'desc')
    .orderBy('requested_at', 'desc')
    .execute();
}

/** Orders and units per second, oldest first; ages come from the database clock, so no clock skew. */
async function throughputPerSecond(db: Kysely<InventoryTables>): Promise<DashboardSnapshot['throughput']> {
  const rows = await db
    .selectFrom('orders')
    .select([
      sql<number>`floor(extract(epoch from (now() - created_at)))::int`.as('age'),
      sql<number>`count(*)::int`.as('orders'),
      sql<number>`sum(quantity)::int`.as('units'),
    ])
    .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${THROUGHPUT_SECONDS})`)
    .groupBy('age')
    .execute();
  const orders = new Array<number>(THROUGHPUT_SECONDS).fill(0);
  const units = new Array<number>(THROUGHPUT_SECONDS).fill(0);
  for (const row of rows) {
    const index = THROUGHPUT_SECONDS - 1 - Math.max(0, Number(row.age));
    if (index < 0) continue;
    orders[index] = Number(row.orders);
    units[index] = Number(row.units);
  }
  return { bucketS: 1, orders, units };
}

async function toProgress(row: ReplenishmentRow, factory: FactoryProbe): Promise<ReplenishmentProgress> {
  return {
    id: row.id,
    status: row.status,
    quantity: row.quantity,
    requestedAt: iso(row.requested_at),
    orderedAt: row.ordered_at ? iso(row.ordered_at) : null,
    completedAt: row.completed_at ? iso(row.completed_at) : null,
    factory: row.factory_order_id ? await factory.progress(row.id, row.factory_order_id) : null,
  };
}

interface FactoryProbe {
  progress(replenishmentId: string, factoryOrderId: string): Promise<FactoryProgress | null>;
  /** Forgets what it knows about replenishments no longer shown. */
  keepOnly(ids: ReadonlySet<string>): void;
}

/**
 * Asks the factory how far an order got. A finished order (its callback answered) is remembered for
 * good; an order the factory does not report is asked again only after FACTORY_RETRY_MS.
 */
function factoryProbe(factoryUrl: string): FactoryProbe {
  const known = new Map<string, { value: FactoryProgress | null; until: number }>();
  return {
    async progress(replenishmentId, factoryOrderId) {
      const cached = known.get(replenishmentId);
      if (cached && cached.until > Date.now()) return cached.value;
      const value = await askFactory(factoryUrl, factoryOrderId);
      const final = value?.arrivedAt != null;
      const until = final ? Number.POSITIVE_INFINITY : value ? 0 : Date.now() + FACTORY_RETRY_MS;
      known.set(replenishmentId, { value: value ?? cached?.value ?? null, until });
      return value ?? cached?.value ?? null;
    },
    keepOnly(ids) {
      for (const id of known.keys()) if (!ids.has(id)) known.delete(id);
    },
  };
}

async function askFactory(factoryUrl: string, factoryOrderId: string): Promise<FactoryProgress | null> {
  try {
    const response = await fetch(`${factoryUrl}/api/manufactures/${encodeURIComponent(factoryOrderId)}`, {
      signal: AbortSignal.timeout(FACTORY_PROBE_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const report = FactoryJobReport.safeParse(await response.json());
    if (!report.success) return null;
    const stages: readonly string[] = FACTORY_STAGES;
    const arrived = report.data.callbacks?.find((c) => c.status !== null && c.status >= 200 && c.status < 300);
    return {
      stage: report.data.stage,
      stageIndex: stages.indexOf(report.data.stage),
      stages: stages.length,
      arrivedAt: arrived ? iso(arrived.at) : null,
    };
  } catch {
    return null;
  }
}

/** Counters since start, read from the metrics registry the platform already feeds. */
async function flowCounters(metrics: SystemMetrics): Promise<DashboardSnapshot['flow']> {
  const values = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const [checkouts, published, consumed] = await Promise.all([
    values('donut_checkouts_total'),
    values('donut_events_published_total'),
    values('donut_consumer_records_total'),
  ]);
  const flow: DashboardSnapshot['flow'] = { checkouts: {}, published: {}, consumed: {} };
  for (const v of checkouts) flow.checkouts[String(v.labels.result)] = v.value;
  for (const v of published) flow.published[String(v.labels.type)] = v.value;
  for (const v of consumed) {
    const queue = String(v.labels.queue);
    const entry = flow.consumed[queue] ?? { succeeded: 0, failed: 0 };
    flow.consumed[queue] = entry;
    if (v.labels.outcome === 'failed') entry.failed += v.value;
    else entry.succeeded += v.value;
  }
  return flow;
}
