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

/** `requested` until the factory accepted the order, then `ordered`; both count as open. */
export type ReplenishmentStatus = 'requested' | 'ordered' | 'completed' | 'timed_out';
export const OPEN_REPLENISHMENT_STATUSES = ['requested', 'ordered'] as const satisfies readonly ReplenishmentStatus[];

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
  ordered_at: Timestamp | null;
  completed_at: Timestamp | null;
}

export type ProductRow = Selectable<ProductsTable>;
export type ReplenishmentRow = Selectable<ReplenishmentsTable>;
