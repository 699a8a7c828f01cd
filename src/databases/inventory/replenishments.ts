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
 * `replenishment.requested` to the outbox only when this call opened it. The unique partial index
 * `replenishments_one_open_per_sku` decides races: the loser inserts nothing.
 * Returns the open replenishment, whoever opened it.
 */
export async function openReplenishmentIfNone(
  trx: Transaction<InventoryTables>,
  input: OpenReplenishmentInput,
): Promise<{ replenishment: ReplenishmentRow; opened: boolean }> {
  const inserted = await insertReplenishmentIfNone(trx, input);
  if (inserted) return { replenishment: inserted, opened: true };
  const open = await trx
    .selectFrom('replenishments')
    .selectAll()
    .where('sku', '=', input.sku)
    .where('status', 'in', OPEN_REPLENISHMENT_STATUSES)
    .executeTakeFirstOrThrow();
  return { replenishment: open, opened: false };
}

/**
 * {@link openReplenishmentIfNone} for a caller that only needs one to be open: one statement when one
 * already is. Returns the replenishment it opened, or undefined. The rule itself, with its outbox
 * event, lives in the database (insert_replenishment_if_none(), also called by place_orders()).
 */
export async function insertReplenishmentIfNone(
  trx: Transaction<InventoryTables>,
  input: OpenReplenishmentInput,
): Promise<ReplenishmentRow | undefined> {
  const { sku, quantity, factoryId, stock, correlationId } = input;
  const { rows } = await sql<
    ReplenishmentRow | { id: null }
  >`select * from insert_replenishment_if_none(${sku}, ${quantity},
    ${factoryId}, ${stock}, ${correlationId}, ${JSON.stringify(newReplenishment(sku, correlationId))}::jsonb)`.execute(
    trx,
  );
  const row = rows[0];
  return row?.id ? (row as ReplenishmentRow) : undefined;
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
