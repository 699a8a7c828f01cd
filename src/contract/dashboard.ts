import { z } from 'zod';
import { ProductPlanningResponse, ProductResponse, QueueDepthResponse } from './responses.ts';

/**
 * What the live dashboard shows, pushed once a second over Server-Sent Events. Public by design: no
 * mail addresses, customer ids only as anonymized handles (keyed hashes), order ids shortened. Served
 * from a snapshot at most about a second old, shared by every reader.
 */

const Timestamp = z.string().meta({ format: 'date-time' });

/** The factory's own report of an order, when it offers one (the simulator does; a real factory may not). */
export const FactoryProgress = z.object({
  stage: z.string().meta({ description: 'start, prepare, produce, pack or done' }),
  stageIndex: z.number().int(),
  stages: z.number().int(),
  /** When the factory's callback was answered 2xx: the goods arrived at the warehouse. */
  arrivedAt: Timestamp.nullable(),
});
export type FactoryProgress = z.infer<typeof FactoryProgress>;

export const ReplenishmentProgress = z.object({
  id: z.string(),
  status: z.enum(['requested', 'ordering', 'unconfirmed', 'ordered', 'completed', 'timed_out']).meta({
    description:
      '`ordering`: the factory is being called; `unconfirmed`: it may have the order but never answered (not sent again; its callback or the timeout decides)',
  }),
  quantity: z.number().int(),
  requestedAt: Timestamp,
  /** When the order was sent (ordered or unconfirmed). */
  orderedAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  factory: FactoryProgress.nullable(),
});
export type ReplenishmentProgress = z.infer<typeof ReplenishmentProgress>;

/**
 * A product as GET /products shows it, less the factory and the planning parameters, with its
 * replenishment's progress and the part of its planning a stock bar shows.
 */
export const DashboardProduct = ProductResponse.omit({
  factoryId: true,
  replenishment: true,
  serviceLevel: true,
  orderMultiple: true,
  maxOrderQuantity: true,
  planning: true,
}).extend({
  /** The open replenishment, else the latest closed one (so its last steps stay visible). */
  replenishment: ReplenishmentProgress.nullable(),
  /** The reorder point and order in force (the bar's mark), the measured demand and the projected stock-out. */
  planning: ProductPlanningResponse.pick({
    demandPerSecond: true,
    effectiveReorderPoint: true,
    orderQuantity: true,
    projectedStockOutAt: true,
  }),
});
export type DashboardProduct = z.infer<typeof DashboardProduct>;

export const DashboardSnapshot = z.object({
  at: Timestamp,
  products: z.array(DashboardProduct),
  queues: z.array(QueueDepthResponse),
  /** Newest first. */
  orders: z.array(
    z.object({
      id: z.string().meta({ description: 'the first 8 characters of the order id' }),
      sku: z.string().meta({ description: 'the sku, or `cart` for an order of several lines' }),
      quantity: z.number().int().meta({ description: 'the total over its lines' }),
      status: z.enum(['placed', 'cancelled']),
      customer: z
        .string()
        .meta({ description: 'anonymized customer handle: a keyed hash, nothing of the customer id itself' }),
      createdAt: Timestamp,
    }),
  ),
  /** The ad-manager mails, newest first, without addresses. */
  mails: z.array(
    z.object({ kind: z.enum(['pause_ads', 'resume_ads']), subject: z.string(), sku: z.string(), sentAt: Timestamp }),
  ),
  /** The biggest buyers. */
  customers: z.array(
    z.object({ customer: z.string(), tier: z.enum(['normal', 'vip']), purchasedQuantity: z.number().int() }),
  ),
  vipThreshold: z.number().int(),
  /** Orders cancelled since the shop opened. */
  cancellations: z.number().int(),
  /** Orders and units per second over the last `orders.length` seconds, oldest first, ending at `at`. */
  throughput: z.object({ bucketS: z.number().int(), orders: z.array(z.number()), units: z.array(z.number()) }),
  /** Counters since start, for the live counts on the architecture diagram's edges. */
  flow: z.object({
    checkouts: z.record(z.string(), z.number()),
    published: z.record(z.string(), z.number()),
    consumed: z.record(z.string(), z.object({ succeeded: z.number(), failed: z.number() })),
  }),
});
export type DashboardSnapshot = z.infer<typeof DashboardSnapshot>;
