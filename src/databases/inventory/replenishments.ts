import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { EventEnvelope } from '../../contract/events.ts';
import { outboxEnvelope } from '../../platform/outbox.ts';
import { type InventoryTables, OPEN_REPLENISHMENT_STATUSES, type ReplenishmentRow } from './tables.ts';

export interface OpenReplenishmentInput {
  readonly sku: string;
  readonly quantity: number;
  readonly factoryId: string;
  /** Stock right after the sale (or the shortfall) that triggered it, for the event. */
  readonly stock: number;
  readonly correlationId: string;
}

/**
 * Opens a replenishment for `sku` unless one is open, inside the caller's transaction, and writes
 * `replenishment.requested` to the outbox only when this call opened it. The rule lives in the
 * database (insert_replenishment_if_none(), which place_orders() calls too): the unique partial index
 * `replenishments_one_open_per_sku` decides races, and the loser inserts nothing.
 * Returns the open replenishment, whoever opened it.
 */
export async function openReplenishmentIfNone(
  trx: Transaction<InventoryTables>,
  input: OpenReplenishmentInput,
): Promise<{ replenishment: ReplenishmentRow; opened: boolean }> {
  const { sku, quantity, factoryId, stock, correlationId } = input;
  const { rows } = await sql<ReplenishmentRow | { id: null }>`select * from insert_replenishment_if_none(${sku},
    ${quantity}, ${factoryId}, ${stock}, ${correlationId}, ${JSON.stringify(newReplenishment(sku, correlationId))}::jsonb)`.execute(
    trx,
  );
  const inserted = rows[0];
  if (inserted?.id) return { replenishment: inserted as ReplenishmentRow, opened: true };
  const open = await trx
    .selectFrom('replenishments')
    .selectAll()
    .where('sku', '=', sku)
    .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
    .executeTakeFirstOrThrow();
  return { replenishment: open, opened: false };
}

/**
 * What insert_replenishment_if_none() needs from the caller: the new replenishment's id and the
 * `replenishment.requested` envelope (its id and time). The database fills in the data and the
 * correlation id.
 */
export function newReplenishment(
  sku: string,
  correlationId: string,
): { replenishmentId: string; event: EventEnvelope } {
  const replenishmentId = randomUUID();
  const event = outboxEnvelope(
    'replenishment.requested',
    { replenishmentId, sku, quantity: 1, factoryId: '', stock: 0, requestedAt: '' },
    correlationId,
  );
  return { replenishmentId, event };
}
