import type { ColumnType, Selectable } from 'kysely';
import type { OutboxTable } from '../../platform/outbox.ts';

/**
 * The inventory database, shared by the sales and warehouse services: a sale and the replenishment it
 * opens must commit in one transaction, so stock, orders, replenishments and the outbox live together.
 */
export interface InventoryTables {
  products: ProductsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  /** A view: every order's lines, a single-sku order's one line from its row, a cart's from order_lines. */
  order_items: OrderItemsView;
  idempotency_keys: IdempotencyKeysTable;
  replenishments: ReplenishmentsTable;
  outbox: OutboxTable;
  product_planning: ProductPlanningTable;
  refused_demand: RefusedDemandTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface ProductsTable {
  sku: string;
  name: string;
  /** NUMERIC(12,2): arrives as a string, converted at the edge. */
  price: ColumnType<string, string | number, string | number>;
  stock: number;
  reorder_point: number;
  reorder_quantity: number;
  factory_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  reorder_policy: ColumnType<ReorderPolicy, ReorderPolicy | undefined, ReorderPolicy>;
  service_level: ColumnType<number, number | undefined, number>;
  order_multiple: ColumnType<number, number | undefined, number>;
  max_order_quantity: number | null;
  /** What replenishment acts on when set (an adaptive product's plan); null: reorder_point. */
  effective_reorder_point: number | null;
  /** What replenishment orders when set (an adaptive product's plan); null: reorder_quantity. */
  effective_reorder_quantity: number | null;
}

export type ReorderPolicy = 'fixed' | 'adaptive';

/** A product's measured demand and its last plan (docs/planning.md); one row per product once planned. */
export interface ProductPlanningTable {
  sku: string;
  /** Exponentially weighted mean of units sold per second. */
  demand_per_s: number;
  /** Exponentially weighted variance of units sold per second. */
  demand_variance: number;
  /** The same mean as demand_per_s with a quarter of its half-life: follows a surge, and its end, sooner. */
  fast_demand_per_s: number;
  /** Sales before this second are counted in the demand; later ones are not yet. */
  observed_until: Timestamp;
  lead_time_s: number;
  /** Deliveries the lead time rests on; 0 while it is the configured default. */
  lead_time_deliveries: number;
  reorder_point: number;
  order_quantity: number;
  planned_at: Timestamp;
}

export type OrderStatus = 'placed' | 'cancelled';

/** A single-sku order keeps its sku here; a cart has none (its lines are in order_lines). `quantity` is the total. */
export interface OrdersTable {
  id: string;
  sku: string | null;
  quantity: number;
  customer_id: string;
  correlation_id: string;
  status: ColumnType<OrderStatus, OrderStatus | undefined, OrderStatus>;
  cancelled_at: Timestamp | null;
  created_at: Timestamp;
}

export interface OrderLinesTable {
  order_id: string;
  sku: string;
  quantity: number;
}

export interface OrderItemsView {
  order_id: string;
  sku: string;
  quantity: number;
}

/** A placed order's answer under its customer's Idempotency-Key, remembered for IDEMPOTENCY_TTL_S. */
export interface IdempotencyKeysTable {
  customer_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: ColumnType<unknown, string, string>;
  created_at: Timestamp;
}

/**
 * `requested` until a factory-order consumer claims it; `ordering` while that consumer calls the factory;
 * then `ordered` (the factory accepted) or `unconfirmed` (the call may have reached the factory but no
 * answer was seen: it is not sent again, the callback or the replenishment timeout decides). All four
 * are open; `completed` and `timed_out` are closed.
 */
export type ReplenishmentStatus = 'requested' | 'ordering' | 'unconfirmed' | 'ordered' | 'completed' | 'timed_out';
export const OPEN_REPLENISHMENT_STATUSES = [
  'requested',
  'ordering',
  'unconfirmed',
  'ordered',
] as const satisfies readonly ReplenishmentStatus[];

export interface ReplenishmentsTable {
  id: string;
  sku: string;
  quantity: number;
  factory_id: string;
  status: ReplenishmentStatus;
  factory_order_id: string | null;
  produced_quantity: number | null;
  correlation_id: string;
  requested_at: Timestamp;
  /** When the order was sent to the factory (ordered or unconfirmed): the replenishment timeout counts from it. */
  ordered_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** How often a consumer claimed it to call the factory; a claim is undone only by the consumer holding it. */
  order_attempts: ColumnType<number, number | undefined, number>;
  /** When the current claim was taken (`ordering`); a claim older than a whole factory call was abandoned. */
  order_claimed_at: Timestamp | null;
  /** Seconds from the order being sent to its stock arriving; set on completion, null after a timeout. */
  lead_time_s: number | null;
}

/**
 * Units checkouts asked for and were refused for lack of stock, per product and second (written by
 * place_orders(), at most the product's reorder_quantity a second); the planning job folds them into
 * demand and deletes the seconds it has folded.
 */
export interface RefusedDemandTable {
  sku: string;
  at_second: Timestamp;
  units: number;
}

export type ProductRow = Selectable<ProductsTable>;
export type ReplenishmentRow = Selectable<ReplenishmentsTable>;
export type ProductPlanningRow = Selectable<ProductPlanningTable>;
