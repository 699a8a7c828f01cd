import { z } from 'zod';
import type { CartOrder, Order, OrderView, Product, Replenishment, ReplenishmentPlanLine } from './http.ts';

/**
 * The answers of the HTTP API as zod schemas, for the OpenAPI document. The TypeScript interfaces
 * services build their answers from stay the source of truth; the `Same` checks at the bottom fail to
 * compile when a schema here and its interface drift apart.
 */

const Timestamp = z.string().meta({ format: 'date-time' });

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable snake_case code, e.g. invalid_request, out_of_stock' }),
    message: z.string(),
    details: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'one entry per invalid field' }),
  }),
});

export const ReplenishmentResponse = z.object({
  id: z.string(),
  status: z.string().meta({
    examples: ['requested', 'ordering', 'unconfirmed', 'ordered'],
    description:
      '`requested` until a consumer takes it, `ordering` while it calls the factory, then `ordered` (accepted) or ' +
      '`unconfirmed` (the factory may have the order but never answered: it is not sent again; its callback, or ' +
      'the replenishment timeout counted from when it was sent, decides)',
  }),
  quantity: z.number().int(),
  requestedAt: Timestamp,
});

export const ProductPlanningResponse = z
  .object({
    demandPerSecond: z.number(),
    demandStdDev: z.number(),
    leadTimeS: z.number(),
    leadTimeDeliveries: z.number().int().meta({ description: '0 while the lead time is the configured default' }),
    effectiveReorderPoint: z.number().int().meta({ description: 'in force: planned when adaptive, else reorderPoint' }),
    orderQuantity: z.number().int().meta({ description: 'in force: planned when adaptive, else reorderQuantity' }),
    suggestedReorderPoint: z.number().int(),
    suggestedOrderQuantity: z.number().int(),
    projectedStockOutAt: Timestamp.nullable().meta({ description: 'null when nothing sells' }),
    plannedAt: Timestamp.nullable(),
  })
  .meta({ description: 'measured demand and lead time, and the reorder plan from them (docs/planning.md)' });

export const ReplenishmentPlanLineResponse = z.object({
  sku: z.string(),
  name: z.string(),
  factoryId: z.string(),
  reorderPolicy: z.enum(['fixed', 'adaptive']),
  stock: z.number().int(),
  onOrder: z.number().int(),
  demandPerSecond: z.number(),
  demandStdDev: z.number(),
  leadTimeS: z.number(),
  leadTimeDeliveries: z.number().int(),
  effectiveReorderPoint: z.number().int(),
  orderQuantity: z.number().int(),
  suggestedReorderPoint: z.number().int(),
  suggestedOrderQuantity: z.number().int(),
  orderNow: z.boolean(),
  projectedStockOutAt: Timestamp.nullable(),
});

export const ReplenishmentPlanResponse = z.object({
  generatedAt: Timestamp,
  lines: z.array(ReplenishmentPlanLineResponse),
});

export const ProductResponse = z.object({
  sku: z.string(),
  name: z.string(),
  price: z.number(),
  stock: z.number().int(),
  reorderPoint: z.number().int(),
  reorderQuantity: z.number().int(),
  factoryId: z.string(),
  replenishment: ReplenishmentResponse.nullable().meta({ description: 'the open replenishment, if any' }),
  reorderPolicy: z.enum(['fixed', 'adaptive']),
  serviceLevel: z.number(),
  orderMultiple: z.number().int(),
  maxOrderQuantity: z.number().int().nullable(),
  planning: ProductPlanningResponse,
});

export const ProductListResponse = z.object({ products: z.array(ProductResponse) });

const OrderResponse = z.object({
  id: z.string(),
  sku: z.string(),
  quantity: z.number().int(),
  customerId: z.string(),
  createdAt: Timestamp,
});

export const CheckoutResponse = z.object({ order: OrderResponse, remaining: z.number().int() });

const OrderLineResponse = z.object({ sku: z.string(), quantity: z.number().int() });

export const CartOrderResponse = z.object({
  id: z.string(),
  customerId: z.string(),
  items: z.array(OrderLineResponse),
  createdAt: Timestamp,
});

export const CartCheckoutResponse = z.object({
  order: CartOrderResponse,
  remaining: z.record(z.string(), z.number().int()).meta({ description: 'stock left, per sku of the cart' }),
});

export const OutOfStockResponse = ErrorResponse.extend({
  available: z.number().int(),
  replenishment: ReplenishmentResponse.nullable(),
});

export const CartOutOfStockResponse = ErrorResponse.extend({
  shortages: z
    .array(
      z.object({
        sku: z.string(),
        requested: z.number().int(),
        available: z.number().int(),
        replenishment: ReplenishmentResponse.nullable(),
      }),
    )
    .meta({ description: 'one entry per line that did not fit; nothing was sold' }),
});

export const OrderViewResponse = z.object({
  id: z.string(),
  customerId: z.string(),
  items: z.array(OrderLineResponse),
  status: z.enum(['placed', 'cancelled']),
  createdAt: Timestamp,
  cancelledAt: Timestamp.nullable(),
});

export const OrderEnvelopeResponse = z.object({ order: OrderViewResponse });

export const CallbackAcceptedResponse = z.object({ status: z.literal('accepted'), replenishmentId: z.string() });

export const CustomerResponse = z.object({
  id: z.string(),
  tier: z.enum(['normal', 'vip']),
  purchasedQuantity: z.number().int(),
  updatedAt: Timestamp,
});

export const NotificationListResponse = z.object({
  notifications: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['pause_ads', 'resume_ads']),
      to: z.string(),
      subject: z.string(),
      sku: z.string(),
      replenishmentId: z.string(),
      sentAt: Timestamp,
    }),
  ),
});

const CheckResult = z.object({ ok: z.boolean(), error: z.string().optional() });
export const HealthResponse = z.object({
  status: z.enum(['ok', 'unavailable']),
  failing: z.array(z.string()),
  components: z.record(z.string(), CheckResult),
  advisory: z.record(z.string(), CheckResult).meta({ description: 'shown, never fatal (e.g. the factory)' }),
});

export const QueueDepthResponse = z.object({
  name: z.string(),
  messages: z.number().int(),
  inFlight: z.number().int(),
  deadLetter: z.object({ name: z.string(), messages: z.number().int() }),
});

export const QueueListResponse = z.object({ queues: z.array(QueueDepthResponse) });

export const DeadLetterListResponse = z.object({
  queue: z.string(),
  messages: z.array(
    z.object({
      id: z.string(),
      body: z.string().meta({ description: 'the message body as sent' }),
      receiveCount: z.number().int(),
      sentAt: Timestamp,
    }),
  ),
});

export const RedriveResponse = z.object({ moved: z.number().int() });
export const PurgeResponse = z.object({ purged: z.number().int() });

// Compile-time drift checks between the schemas and the interfaces the services answer with.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.infer<typeof ReplenishmentResponse>, Replenishment>,
  Same<z.infer<typeof ProductResponse>, Product>,
  Same<z.infer<typeof OrderResponse>, Order>,
  Same<z.infer<typeof ReplenishmentPlanLineResponse>, ReplenishmentPlanLine>,
  Same<z.infer<typeof CartOrderResponse>, CartOrder>,
  Same<z.infer<typeof OrderViewResponse>, OrderView>,
] = [true, true, true, true, true, true];
void sameShapes;
