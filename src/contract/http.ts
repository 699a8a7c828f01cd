import { z } from 'zod';

/**
 * Text of every request field, header and path parameter: well-formed UTF-16. A lone surrogate (JSON
 * `"\ud800"`) has no UTF-8 encoding: the database refuses it (a 500) or it is silently replaced. Every
 * text field of a request schema is built from this.
 */
export const Text = wellFormed(z.string());

/** The one refinement behind {@link Text}, for a string schema of another kind (e.g. `z.url()`). */
export function wellFormed<S extends z.ZodType<string>>(schema: S) {
  return schema.refine((s) => s.isWellFormed(), 'must be well-formed text (no lone surrogates)');
}

/** A SKU: letters, digits, dot, dash, underscore; short enough to be a path segment. */
export const Sku = Text.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

/** Text PostgreSQL can store: well-formed, and without the NUL character, which it refuses (a 500 otherwise). */
export const StorableText = Text.refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/** The customer a checkout is for, and the id GET /customers/{id} looks up. */
export const CustomerId = StorableText.min(1).max(128);

export const CheckoutRequest = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(1000),
  customerId: CustomerId,
});
export type CheckoutRequest = z.infer<typeof CheckoutRequest>;

export const CartLine = z.strictObject({ sku: Sku, quantity: CheckoutRequest.shape.quantity });
export type CartLine = z.infer<typeof CartLine>;

/** Most lines one cart may hold. */
export const MAX_CART_LINES = 50;

/** A cart: 1 to 50 lines, each sku at most once; sold all or nothing. */
export const CartCheckoutRequest = z.strictObject({
  items: z
    .array(CartLine)
    .min(1)
    .max(MAX_CART_LINES)
    .refine((items) => new Set(items.map((i) => i.sku)).size === items.length, 'each sku may appear only once'),
  customerId: CustomerId,
});
export type CartCheckoutRequest = z.infer<typeof CartCheckoutRequest>;

/** POST /checkout takes either body; `items` tells a cart from a single-sku order. */
export const CheckoutBody = z.union([CheckoutRequest, CartCheckoutRequest]);
export type CheckoutBody = z.infer<typeof CheckoutBody>;

/**
 * Parses a checkout body with the one schema its shape calls for, so a 400 lists the invalid fields of
 * that body (a union would only say that neither matched).
 */
export function parseCheckoutBody(body: unknown): CheckoutBody {
  const cart = typeof body === 'object' && body !== null && 'items' in body;
  return cart ? CartCheckoutRequest.parse(body) : CheckoutRequest.parse(body);
}

export const isCart = (body: CheckoutBody): body is CartCheckoutRequest => 'items' in body;

/** An order id: the UUID checkout answered with. */
export const OrderId = z.uuid();

export const IdempotencyKey = StorableText.min(1).max(255);

export const ProductInput = z
  .strictObject({
    name: StorableText.trim().min(1).max(200),
    price: z
      .number()
      .min(0)
      .max(1_000_000)
      .refine((p) => Math.abs(Math.round(p * 100) - p * 100) < 1e-6, 'must have at most two decimals'),
    stock: z.number().int().min(0).max(1_000_000_000),
    reorderPoint: z.number().int().min(0).max(1_000_000_000),
    reorderQuantity: z.number().int().min(1).max(1_000_000),
    factoryId: StorableText.min(1).max(128),
    /** `fixed`: reorder at reorderPoint, reorderQuantity units. `adaptive`: at the planned point and quantity. */
    reorderPolicy: z.enum(['fixed', 'adaptive']).optional(),
    /** Probability of not running out during one lead time; sizes the safety stock. */
    serviceLevel: z.number().min(0.5).max(0.999).optional(),
    /** Planned orders are whole multiples of this. */
    orderMultiple: z.number().int().min(1).max(1_000_000).optional(),
    /** The largest planned order. */
    maxOrderQuantity: z.number().int().min(1).max(1_000_000).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.maxOrderQuantity !== undefined && input.maxOrderQuantity < input.reorderQuantity) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxOrderQuantity'],
        message: 'must be at least reorderQuantity',
      });
    }
  });
export type ProductInput = z.infer<typeof ProductInput>;

export interface Replenishment {
  id: string;
  /** One of the open statuses: `requested`, `ordering`, `unconfirmed`, `ordered`. */
  status: string;
  quantity: number;
  requestedAt: string;
}

export interface Product {
  sku: string;
  name: string;
  price: number;
  stock: number;
  reorderPoint: number;
  reorderQuantity: number;
  factoryId: string;
  replenishment: Replenishment | null;
  reorderPolicy: 'fixed' | 'adaptive';
  serviceLevel: number;
  orderMultiple: number;
  maxOrderQuantity: number | null;
  planning: ProductPlanning;
}

/** What the system measured for a product and what it plans from that (docs/planning.md). */
export interface ProductPlanning {
  /** Measured demand, units per second (exponentially weighted). */
  demandPerSecond: number;
  /** Standard deviation of one second's demand. */
  demandStdDev: number;
  /** The factory's lead time in seconds: measured, or the configured default. */
  leadTimeS: number;
  /** Deliveries the lead time rests on; 0 while it is the default. */
  leadTimeDeliveries: number;
  /** The reorder point in force: the planned one for an adaptive product, reorderPoint for a fixed one. */
  effectiveReorderPoint: number;
  /** The quantity in force: the planned one for an adaptive product, reorderQuantity for a fixed one. */
  orderQuantity: number;
  /** What the plan suggests, whatever the policy: what a fixed product's operator could adopt. */
  suggestedReorderPoint: number;
  suggestedOrderQuantity: number;
  /** When the shelf empties at the measured demand; null when nothing sells. */
  projectedStockOutAt: string | null;
  /** When the plan was last computed; null before the first run. */
  plannedAt: string | null;
}

/** A line of GET /ops/replenishment-plan. */
export interface ReplenishmentPlanLine {
  sku: string;
  name: string;
  factoryId: string;
  reorderPolicy: 'fixed' | 'adaptive';
  stock: number;
  /** Units of the open replenishment, 0 when none is open. */
  onOrder: number;
  demandPerSecond: number;
  demandStdDev: number;
  leadTimeS: number;
  leadTimeDeliveries: number;
  effectiveReorderPoint: number;
  orderQuantity: number;
  suggestedReorderPoint: number;
  suggestedOrderQuantity: number;
  /** Nothing is on order and the stock is at or below the suggested reorder point. */
  orderNow: boolean;
  projectedStockOutAt: string | null;
}

export interface Order {
  id: string;
  sku: string;
  quantity: number;
  customerId: string;
  createdAt: string;
}

/** A placed cart as POST /checkout answers it. */
export interface CartOrder {
  id: string;
  customerId: string;
  items: CartLine[];
  createdAt: string;
}

/** An order as GET /orders/{id} shows it; a single-sku order has one line. */
export interface OrderView {
  id: string;
  customerId: string;
  items: CartLine[];
  status: 'placed' | 'cancelled';
  createdAt: string;
  cancelledAt: string | null;
}
