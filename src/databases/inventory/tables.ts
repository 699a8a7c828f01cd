import type { ColumnType, Selectable } from 'kysely';
import type { OutboxTable } from '../../platform/outbox.ts';

/**
 * The inventory database, shared by the sales and warehouse services: a sale and the replenishment it
 * opens must commit in one transaction, so stock, orders, replenishments and the outbox live together.
 */
export interface InventoryTables {
  products: ProductsTable;
  orders: OrdersTable;
  idempotency_keys: IdempotencyKeysTable;
  replenishments: ReplenishmentsTable;
  outbox: OutboxTable;
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
}

export interface OrdersTable {
  id: string;
  sku: string;
  quantity: number;
  customer_id: string;
  correlation_id: string;
  created_at: Timestamp;
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
}

export type ProductRow = Selectable<ProductsTable>;
export type ReplenishmentRow = Selectable<ReplenishmentsTable>;
