import { z } from 'zod';

/**
 * Every event on the topic travels in this envelope; `type` is also a message attribute so
 * subscriptions filter on it. Add fields, never rename.
 */
export const EventEnvelope = z.object({
  id: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  correlationId: z.string(),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

const OrderLine = z.object({ sku: z.string(), quantity: z.number().int().positive() });

/**
 * `quantity` is the order's total. A single-sku order also has `sku` and `remaining` (as before);
 * `items` lists the lines of every order (older single-sku events have none).
 */
export const OrderPlaced = z.object({
  orderId: z.string(),
  sku: z.string().optional(),
  quantity: z.number().int().positive(),
  customerId: z.string(),
  remaining: z.number().int().min(0).optional(),
  items: z.array(OrderLine).optional(),
  createdAt: z.string(),
});

/** A placed order was cancelled and its stock returned; written once per order. */
export const OrderCancelled = z.object({
  orderId: z.string(),
  customerId: z.string(),
  items: z.array(OrderLine),
  /** The order's total quantity. */
  quantity: z.number().int().positive(),
  cancelledAt: z.string(),
});

export const ReplenishmentRequested = z.object({
  replenishmentId: z.string(),
  sku: z.string(),
  quantity: z.number().int().positive(),
  factoryId: z.string(),
  stock: z.number().int().min(0),
  requestedAt: z.string(),
});

export const ReplenishmentCompleted = z.object({
  replenishmentId: z.string(),
  sku: z.string(),
  quantity: z.number().int().positive(),
  stock: z.number().int().min(0),
  requestedAt: z.string(),
  completedAt: z.string(),
});

/** A customer's cumulative purchases reached the VIP threshold; written once per customer. */
export const CustomerPromoted = z.object({
  customerId: z.string(),
  tier: z.literal('vip'),
  purchasedQuantity: z.number().int().positive(),
  threshold: z.number().int().positive(),
  /** The order whose quantity crossed the threshold. */
  orderId: z.string(),
  promotedAt: z.string(),
});

const eventSchemas = {
  'order.placed': OrderPlaced,
  'order.cancelled': OrderCancelled,
  'replenishment.requested': ReplenishmentRequested,
  'replenishment.completed': ReplenishmentCompleted,
  'customer.promoted': CustomerPromoted,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

/** Parses an envelope and its payload for the expected type; throws (failing the record) otherwise. */
export function parseEvent<T extends EventType>(type: T, body: string): EventEnvelope & { data: EventData<T> } {
  const envelope = EventEnvelope.parse(JSON.parse(body));
  if (envelope.type !== type) throw new Error(`expected a ${type} event, got ${envelope.type}`);
  return { ...envelope, data: eventSchemas[type].parse(envelope.data) as EventData<T> };
}

/** The message on the stock-arrivals queue, written by the callback intake. */
export const StockArrival = z.object({
  replenishmentId: z.string(),
  sku: z.string(),
  quantity: z.number().int().positive(),
  factoryOrderId: z.string().nullable(),
  receivedAt: z.string(),
  correlationId: z.string(),
  /** The callback's signature over (replenishmentId, sku, quantity), verified by the intake; the consumer verifies it again. */
  signature: z.string(),
});
export type StockArrival = z.infer<typeof StockArrival>;
