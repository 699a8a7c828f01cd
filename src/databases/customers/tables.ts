import type { ColumnType, Selectable } from 'kysely';
import type { OutboxTable } from '../../platform/outbox.ts';

/**
 * The customers service's own database: customers, the inbox of orders already counted (so a
 * redelivered `order.placed` counts once) and its own outbox for `customer.promoted`.
 */
export interface CustomersTables {
  customers: CustomersTable;
  processed_orders: ProcessedOrdersTable;
  outbox: OutboxTable;
  promotion_deliveries: PromotionDeliveriesTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type CustomerTier = 'normal' | 'vip';

export interface CustomersTable {
  id: string;
  tier: CustomerTier;
  purchased_quantity: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * One row per order id seen; its primary key is what makes counting idempotent. `placed`: its quantity
 * was counted toward the customer (false for a cancellation that arrived before its placement).
 */
export interface ProcessedOrdersTable {
  order_id: string;
  customer_id: string;
  quantity: number;
  placed: ColumnType<boolean, boolean | undefined, boolean>;
  cancelled_at: Timestamp | null;
  processed_at: Timestamp;
}

/** One row per promotion the marketing webhook acknowledged; a customer is promoted once. */
export interface PromotionDeliveriesTable {
  customer_id: string;
  event_id: string;
  delivered_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type CustomerRow = Selectable<CustomersTable>;
