import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { appendToOutbox } from '../../platform/outbox.ts';
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
 * already is. Returns the replenishment it opened, or undefined.
 */
export async function insertReplenishmentIfNone(
  trx: Transaction<InventoryTables>,
  input: OpenReplenishmentInput,
): Promise<ReplenishmentRow | undefined> {
  const inserted = await trx
    .insertInto('replenishments')
    .values({
      id: randomUUID(),
      sku: input.sku,
      quantity: input.quantity,
      factory_id: input.factoryId,
      status: 'requested',
      correlation_id: input.correlationId,
    })
    // A constant predicate (no parameters) so Postgres can infer the partial unique index as the arbiter.
    .onConflict((oc) => oc.column('sku').where(sql<boolean>`status in ('requested', 'ordered')`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) {
    const requestedAt = new Date(inserted.requested_at).toISOString();
    await appendToOutbox(
      trx,
      'replenishment.requested',
      {
        replenishmentId: inserted.id,
        sku: inserted.sku,
        quantity: inserted.quantity,
        factoryId: inserted.factory_id,
        stock: input.stock,
        requestedAt,
      },
      input.correlationId,
    );
  }
  return inserted;
}
