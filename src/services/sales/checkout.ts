import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CheckoutRequest, Order } from '../../contract/http.ts';
import { openReplenishmentIfNone } from '../../databases/inventory/replenishments.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { appendToOutbox } from '../../platform/outbox.ts';
import { IdempotencyKeyReusedError, OutOfStockError, ProductNotFoundError } from './errors.ts';
import { toReplenishment } from './products.repository.ts';

export interface CheckoutAnswer {
  readonly status: number;
  readonly body: { order: Order; remaining: number };
  /** True when this answer is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface CheckoutOptions {
  readonly idempotencyKey?: string | undefined;
  readonly correlationId: string;
}

/** Signals, inside the transaction, that stock was short: the transaction rolls back, nothing is written. */
class StockShort extends Error {}
/** A concurrent request with the same Idempotency-Key committed first; retry to replay its answer. */
class KeyRace extends Error {}

/**
 * Places an order: one transaction holding the conditional decrement (never select-then-update),
 * the order row, `order.placed` (and `replenishment.requested` when stock reaches the reorder point)
 * in the outbox, and the Idempotency-Key record. Either all of it commits or none of it does.
 *
 * Throws ProductNotFoundError, OutOfStockError (after opening a replenishment if none is open) or
 * IdempotencyKeyReusedError. Rejected attempts store nothing under the key, so they may be retried.
 */
export async function checkout(
  db: Kysely<InventoryTables>,
  request: CheckoutRequest,
  options: CheckoutOptions,
): Promise<CheckoutAnswer> {
  const requestHash = hashRequest(request);
  for (let attempt = 0; ; attempt++) {
    try {
      return await placeOrder(db, request, requestHash, options);
    } catch (error) {
      if (error instanceof KeyRace && attempt < 3) continue;
      if (error instanceof StockShort) return rejectShortStock(db, request, options.correlationId);
      throw error;
    }
  }
}

async function placeOrder(
  db: Kysely<InventoryTables>,
  request: CheckoutRequest,
  requestHash: string,
  options: CheckoutOptions,
): Promise<CheckoutAnswer> {
  const { idempotencyKey: key, correlationId } = options;
  return db.transaction().execute(async (trx) => {
    if (key !== undefined) {
      const earlier = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status_code', 'response'])
        .where('key', '=', key)
        .executeTakeFirst();
      if (earlier) {
        if (earlier.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
        return { status: earlier.status_code, body: earlier.response as CheckoutAnswer['body'], replayed: true };
      }
    }

    const product = await trx
      .updateTable('products')
      .set((eb) => ({ stock: eb('stock', '-', request.quantity) }))
      .where('sku', '=', request.sku)
      .where('stock', '>=', request.quantity)
      .returning(['stock', 'reorder_point', 'reorder_quantity', 'factory_id'])
      .executeTakeFirst();
    if (!product) throw new StockShort();

    const order: Order = {
      id: randomUUID(),
      sku: request.sku,
      quantity: request.quantity,
      customerId: request.customerId,
      createdAt: new Date().toISOString(),
    };
    await trx
      .insertInto('orders')
      .values({
        id: order.id,
        sku: order.sku,
        quantity: order.quantity,
        customer_id: order.customerId,
        correlation_id: correlationId,
        created_at: order.createdAt,
      })
      .execute();
    await appendToOutbox(
      trx,
      'order.placed',
      {
        orderId: order.id,
        sku: order.sku,
        quantity: order.quantity,
        customerId: order.customerId,
        remaining: product.stock,
        createdAt: order.createdAt,
      },
      correlationId,
    );
    if (product.stock <= product.reorder_point) {
      await openReplenishmentIfNone(trx, {
        sku: request.sku,
        quantity: product.reorder_quantity,
        factoryId: product.factory_id,
        stock: product.stock,
        correlationId,
      });
    }

    const answer: CheckoutAnswer = { status: 201, body: { order, remaining: product.stock }, replayed: false };
    if (key !== undefined) {
      const stored = await trx
        .insertInto('idempotency_keys')
        .values({ key, request_hash: requestHash, status_code: answer.status, response: JSON.stringify(answer.body) })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!stored) throw new KeyRace();
    }
    return answer;
  });
}

/** Too little stock: open a replenishment if none is open (committed on its own), then answer 409. */
async function rejectShortStock(
  db: Kysely<InventoryTables>,
  request: CheckoutRequest,
  correlationId: string,
): Promise<never> {
  const product = await db
    .selectFrom('products')
    .select(['stock', 'reorder_quantity', 'factory_id'])
    .where('sku', '=', request.sku)
    .executeTakeFirst();
  if (!product) throw new ProductNotFoundError(request.sku);
  const { replenishment } = await db.transaction().execute((trx) =>
    openReplenishmentIfNone(trx, {
      sku: request.sku,
      quantity: product.reorder_quantity,
      factoryId: product.factory_id,
      stock: product.stock,
      correlationId,
    }),
  );
  throw new OutOfStockError(request.sku, request.quantity, product.stock, toReplenishment(replenishment));
}

/** Canonical hash of the fields that define "the same request". */
export function hashRequest(request: CheckoutRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.sku, request.quantity, request.customerId]))
    .digest('hex');
}
