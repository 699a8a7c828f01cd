import type { SQSRecord } from 'aws-lambda';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { StockArrival } from '../../contract/events.ts';
import { type InventoryTables, OPEN_REPLENISHMENT_STATUSES } from '../../databases/inventory/tables.ts';
import { appendToOutbox } from '../../platform/outbox.ts';
import type { OutboxSignal } from '../../platform/service.ts';
import { verifyCallbackSignature } from './callback-signature.ts';
import { ForgedStockArrivalError } from './errors.ts';

export interface RestockDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly outboxSignal: OutboxSignal;
  /** The callback secret: a stock arrival must carry the callback's signature, checked again here. */
  readonly secret: string;
}

/**
 * Reacts to a verified stock arrival: closes the replenishment with a conditional update and, only if
 * that update changed a row, raises stock and writes `replenishment.completed` — all in one transaction.
 * A duplicate callback or a redelivered message finds the replenishment closed and changes nothing.
 * A message whose signature does not cover its replenishment, sku and count (one that did not come
 * through the callback intake) throws before touching anything, and ends in the DLQ.
 * Locks the product row before the replenishment, in the order checkout takes them, so the two never
 * wait on each other.
 */
export function restockWhenStockArrives(deps: RestockDeps) {
  return async (record: SQSRecord): Promise<void> => {
    const arrival = StockArrival.parse(JSON.parse(record.body));
    if (!verifyCallbackSignature(deps.secret, arrival, arrival.signature)) {
      throw new ForgedStockArrivalError(arrival.replenishmentId);
    }
    const log = deps.logger.child({ correlationId: arrival.correlationId, replenishmentId: arrival.replenishmentId });
    const completed = await deps.db.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('products')
        .select('sku')
        .where('sku', '=', (eb) =>
          eb.selectFrom('replenishments').select('sku').where('id', '=', arrival.replenishmentId),
        )
        .forUpdate()
        .executeTakeFirst();
      if (!locked) return null;
      const closed = await trx
        .updateTable('replenishments')
        .set({
          status: 'completed',
          completed_at: new Date(),
          produced_quantity: arrival.quantity,
          // The factory's lead time, counted from the order being sent (or claimed to be sent, when the
          // callback beats the factory's answer). A delivery after a timeout measures the timeout, not the factory.
          lead_time_s: sql<number | null>`case when status <> 'timed_out'
            then extract(epoch from (now() - coalesce(ordered_at, order_claimed_at))) end`,
        })
        .where('id', '=', arrival.replenishmentId)
        // timed_out still accepts its late delivery once: the goods are real.
        .where('status', 'in', [...OPEN_REPLENISHMENT_STATUSES, 'timed_out'])
        .returning(['sku', 'quantity', 'requested_at', 'correlation_id'])
        .executeTakeFirst();
      if (!closed) return null;
      const product = await trx
        .updateTable('products')
        .set((eb) => ({ stock: eb('stock', '+', closed.quantity), updated_at: new Date() }))
        .where('sku', '=', closed.sku)
        .returning('stock')
        .executeTakeFirstOrThrow();
      const event = {
        replenishmentId: arrival.replenishmentId,
        sku: closed.sku,
        quantity: closed.quantity,
        stock: product.stock,
        requestedAt: new Date(closed.requested_at).toISOString(),
        completedAt: new Date().toISOString(),
      };
      await appendToOutbox(trx, 'replenishment.completed', event, closed.correlation_id);
      return event;
    });
    if (!completed) {
      log.info('stock arrival for a closed or unknown replenishment; nothing to do');
      return;
    }
    deps.outboxSignal();
    log.info({ sku: completed.sku, quantity: completed.quantity, stock: completed.stock }, 'restocked');
  };
}
