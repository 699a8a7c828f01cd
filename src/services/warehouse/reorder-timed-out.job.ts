import type { Kysely } from 'kysely';
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
 * Scheduled: a replenishment the factory has not delivered within the timeout is marked `timed_out`
 * and a new one opens in the same transaction (so still at most one open per product), which orders
 * again through the outbox. A late callback for the timed-out one is still applied once by the
 * restock consumer: the goods are real, and its conditional close makes a second delivery a no-op.
 * Returns how many were re-requested.
 */
export function reorderWhenReplenishmentTimesOut(deps: ReorderDeps) {
  return async (): Promise<number> => {
    const cutoff = new Date(Date.now() - deps.replenishmentTimeoutS * 1000);
    const stale = await deps.db
      .selectFrom('replenishments')
      .select(['id'])
      .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
      .where('requested_at', '<', cutoff)
      .orderBy('requested_at')
      .limit(100)
      .execute();
    let reordered = 0;
    for (const { id } of stale) {
      const next = await deps.db.transaction().execute(async (trx) => {
        const expired = await trx
          .updateTable('replenishments')
          .set({ status: 'timed_out' })
          .where('id', '=', id)
          .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
          .returning(['sku', 'correlation_id'])
          .executeTakeFirst();
        if (!expired) return null; // closed meanwhile
        const product = await trx
          .selectFrom('products')
          .select(['stock', 'reorder_quantity', 'factory_id'])
          .where('sku', '=', expired.sku)
          .executeTakeFirstOrThrow();
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
