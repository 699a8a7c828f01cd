import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { openReplenishmentIfNone } from '../../databases/inventory/replenishments.ts';
import { type InventoryTables, OPEN_REPLENISHMENT_STATUSES } from '../../databases/inventory/tables.ts';
import type { OutboxSignal } from '../../platform/service.ts';

export interface ReorderDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly outboxSignal: OutboxSignal;
  /** An open replenishment older than this is given up on and ordered again. */
  readonly replenishmentTimeoutS: number;
}

/**
 * When an open replenishment's clock started: when its order was sent (`ordered`, `unconfirmed`), when a
 * consumer claimed it to send it (`ordering`), else when it was requested. An order that waited long to
 * be sent (a factory outage, a redriven DLQ) still gets its full time at the factory.
 */
const waitingSince = sql<Date>`coalesce(ordered_at, order_claimed_at, requested_at)`;

/**
 * Scheduled: a replenishment the factory has not delivered within the timeout is marked `timed_out`
 * and a new one opens in the same transaction (so still at most one open per product), which orders
 * again through the outbox. A late callback for the timed-out one is still applied once by the
 * restock consumer: the goods are real, and its conditional close makes a second delivery a no-op.
 * Each one is handled in its own transaction that locks the product row first, as checkout does.
 * Returns how many were re-requested.
 */
export function reorderWhenReplenishmentTimesOut(deps: ReorderDeps) {
  return async (): Promise<number> => {
    const cutoff = sql<Date>`now() - make_interval(secs => ${deps.replenishmentTimeoutS})`;
    const stale = await deps.db
      .selectFrom('replenishments')
      .select(['id', 'sku'])
      .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
      .where(waitingSince, '<', cutoff)
      .orderBy(waitingSince)
      .limit(100)
      .execute();
    let reordered = 0;
    for (const { id, sku } of stale) {
      const next = await deps.db.transaction().execute(async (trx) => {
        const product = await trx
          .selectFrom('products')
          .select((eb) => [
            'stock',
            'factory_id',
            // An adaptive product orders its planned quantity (docs/planning.md).
            eb.fn.coalesce('effective_reorder_quantity', 'reorder_quantity').as('reorder_quantity'),
          ])
          .where('sku', '=', sku)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const expired = await trx
          .updateTable('replenishments')
          .set({ status: 'timed_out' })
          .where('id', '=', id)
          .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
          // Sent or claimed since the scan: its clock started again.
          .where(waitingSince, '<', cutoff)
          .returning(['sku', 'correlation_id'])
          .executeTakeFirst();
        if (!expired) return null; // closed or sent meanwhile
        const { replenishment } = await openReplenishmentIfNone(trx, {
          sku: expired.sku,
          quantity: product.reorder_quantity,
          factoryId: product.factory_id,
          stock: product.stock,
          correlationId: expired.correlation_id,
        });
        return replenishment;
      });
      if (next) {
        reordered += 1;
        deps.logger.warn(
          { timedOut: id, reorderedAs: next.id, sku: next.sku },
          'replenishment timed out; ordered again',
        );
      }
    }
    if (reordered > 0) deps.outboxSignal();
    return reordered;
  };
}
