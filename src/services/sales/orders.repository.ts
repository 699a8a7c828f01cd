import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { OrderView } from '../../contract/http.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { isRetryable } from './checkout.ts';
import { OrderNotFoundError } from './errors.ts';

/** An order with its lines (a single-sku order has one), or undefined when there is none with this id. */
export async function findOrder(db: Kysely<InventoryTables>, id: string): Promise<OrderView | undefined> {
  const order = await db
    .selectFrom('orders')
    .select(['id', 'customer_id', 'status', 'created_at', 'cancelled_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!order) return undefined;
  const items = await db
    .selectFrom('order_items')
    .select(['sku', 'quantity'])
    .where('order_id', '=', id)
    .orderBy('sku')
    .execute();
  return {
    id: order.id,
    customerId: order.customer_id,
    items,
    status: order.status,
    createdAt: new Date(order.created_at).toISOString(),
    cancelledAt: order.cancelled_at === null ? null : new Date(order.cancelled_at).toISOString(),
  };
}

/** Tries of one cancellation that meets a deadlock (e.g. with a batch of checkouts), the first included. */
const MAX_ATTEMPTS = 5;

/**
 * Cancels a placed order: in one transaction (cancel_order()) its status flips, every line's stock
 * returns and `order.cancelled` goes to the outbox. A cancelled order is left as it is, so a second
 * cancel changes nothing and answers the same. Throws OrderNotFoundError.
 */
export async function cancelOrder(db: Kysely<InventoryTables>, id: string, correlationId: string): Promise<OrderView> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await sql<{ outcome: 'cancelled' | 'unchanged' | 'missing' }>`
        select cancel_order(${id}::uuid, ${randomUUID()}::uuid, ${correlationId}) as outcome`.execute(db);
      if (rows[0]!.outcome === 'missing') throw new OrderNotFoundError(id);
      break;
    } catch (error) {
      if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
      await setTimeout(Math.random() * 5 * 2 ** attempt);
    }
  }
  const order = await findOrder(db, id);
  if (!order) throw new OrderNotFoundError(id);
  return order;
}
