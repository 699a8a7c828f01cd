import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AppError } from '../../contract/errors.ts';
import type { CheckoutRequest, Order } from '../../contract/http.ts';
import { insertReplenishmentIfNone, openReplenishmentIfNone } from '../../databases/inventory/replenishments.ts';
import type { InventoryTables, ReplenishmentRow } from '../../databases/inventory/tables.ts';
import { outboxEnvelope } from '../../platform/outbox.ts';
import { IdempotencyKeyReusedError, OutOfStockError, ProductNotFoundError } from './errors.ts';
import { toReplenishment } from './products.repository.ts';

export interface CheckoutAnswer {
  readonly status: number;
  readonly body: { order: Order; remaining: number };
  /** True when this answer is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface CheckoutItem {
  readonly request: CheckoutRequest;
  readonly idempotencyKey?: string | undefined;
  readonly correlationId: string;
}

/** Each item's outcome: its answer, or the contract error it gets (404, 409, 422). */
export type CheckoutOutcome = { readonly answer: CheckoutAnswer } | { readonly error: AppError };

/** What place_orders() answers per item; the columns it does not need for an outcome are null. */
interface PlaceOrderRow {
  outcome: 'placed' | 'replay' | 'short' | 'key_race';
  stock: number | null;
  reorder_point: number | null;
  reorder_quantity: number | null;
  factory_id: string | null;
  earlier_hash: string | null;
  earlier_status: number | null;
  earlier_response: unknown;
}

/** A concurrent request with the same Idempotency-Key committed first; retry to replay its answer. */
class KeyRace extends Error {}

/**
 * Places one order. See {@link placeOrders}; this also retries the rare race where a concurrent
 * request with the same Idempotency-Key commits first (PostgreSQL only), so it replays that answer.
 * Throws ProductNotFoundError, OutOfStockError or IdempotencyKeyReusedError.
 */
export async function checkout(db: Kysely<InventoryTables>, item: CheckoutItem): Promise<CheckoutAnswer> {
  for (let attempt = 0; ; attempt++) {
    try {
      const [outcome] = await placeOrders(db, [item]);
      if ('error' in outcome!) throw outcome.error;
      return outcome!.answer;
    } catch (error) {
      if (error instanceof KeyRace && attempt < 3) continue;
      throw error;
    }
  }
}

/**
 * Places orders, all in ONE transaction (group commit: concurrent checkouts share its cost, each still
 * gets its own answer). Per item: the conditional decrement (never select-then-update), the order row,
 * `order.placed` (and `replenishment.requested` when stock reaches the reorder point) in the outbox and
 * the Idempotency-Key record. An item with too little stock writes nothing of its own but opens a
 * replenishment if none is open, and gets out_of_stock. Rejected items store nothing under their key.
 * Everything commits together or nothing does; an unexpected database error rejects the whole call.
 */
export async function placeOrders(
  db: Kysely<InventoryTables>,
  items: readonly CheckoutItem[],
): Promise<CheckoutOutcome[]> {
  const prepared = items.map(prepare);
  return db.transaction().execute(async (trx) => {
    // One round trip for the whole batch: place_orders() places each item in order.
    const { rows } = await sql<PlaceOrderRow & { idx: number }>`select * from place_orders(${JSON.stringify(
      prepared.map((p) => p.args),
    )}::jsonb) order by idx`.execute(trx);
    const outcomes: CheckoutOutcome[] = [];
    const batch: BatchState = { shortages: new Map(), replenishing: new Set() };
    for (const row of rows) outcomes.push(await settle(trx, prepared[row.idx]!, row, batch));
    return outcomes;
  });
}

interface PreparedItem {
  readonly item: CheckoutItem;
  readonly order: Order;
  readonly requestHash: string;
  /** The item as place_orders() reads it from JSON. */
  readonly args: Record<string, unknown>;
}

function prepare(item: CheckoutItem): PreparedItem {
  const { request, idempotencyKey: key, correlationId } = item;
  const requestHash = key === undefined ? '' : hashRequest(request);
  const order: Order = {
    id: randomUUID(),
    sku: request.sku,
    quantity: request.quantity,
    customerId: request.customerId,
    createdAt: new Date().toISOString(),
  };
  // `remaining` is only known inside the database; place_orders() fills it in from the new stock.
  const event = outboxEnvelope(
    'order.placed',
    {
      orderId: order.id,
      sku: order.sku,
      quantity: order.quantity,
      customerId: order.customerId,
      remaining: 0,
      createdAt: order.createdAt,
    },
    correlationId,
  );
  const args = {
    sku: request.sku,
    quantity: request.quantity,
    orderId: order.id,
    customerId: order.customerId,
    correlationId,
    createdAt: order.createdAt,
    eventId: event.id,
    event,
    key: key ?? null,
    requestHash,
    response: { order, remaining: 0 },
  };
  return { item, order, requestHash, args };
}

/**
 * Turns place_orders()' answer for an item into its outcome, inside the same transaction: opens a
 * replenishment when the sale reached the reorder point, or when stock was short.
 */
async function settle(
  trx: Transaction<InventoryTables>,
  prepared: PreparedItem,
  placed: PlaceOrderRow,
  batch: BatchState,
): Promise<CheckoutOutcome> {
  const { item, order, requestHash } = prepared;
  const { request, correlationId } = item;
  switch (placed.outcome) {
    case 'replay':
      if (placed.earlier_hash !== requestHash) return { error: new IdempotencyKeyReusedError() };
      return {
        answer: {
          status: placed.earlier_status!,
          body: placed.earlier_response as CheckoutAnswer['body'],
          replayed: true,
        },
      };
    case 'short':
      return { error: await rejectShortStock(trx, request, correlationId, batch.shortages) };
    case 'key_race':
      throw new KeyRace();
  }
  // Below the reorder point every sale would ask again; once per sku per batch is enough.
  if (placed.stock! <= placed.reorder_point! && !batch.replenishing.has(request.sku)) {
    batch.replenishing.add(request.sku);
    await insertReplenishmentIfNone(trx, {
      sku: request.sku,
      quantity: placed.reorder_quantity!,
      factoryId: placed.factory_id!,
      stock: placed.stock!,
      correlationId,
    });
  }
  return { answer: { status: 201, body: { order, remaining: placed.stock! }, replayed: false } };
}

/** Per batch: what a sku had when stock ran short, so a crowd of 409s costs one lookup, not one each. */
type Shortages = Map<string, Promise<{ stock: number; replenishment: ReplenishmentRow } | null>>;

/** What one batch's transaction already knows, per sku. */
interface BatchState {
  readonly shortages: Shortages;
  /** Skus for which a replenishment is known to be open in this transaction. */
  readonly replenishing: Set<string>;
}

/** Too little stock: open a replenishment if none is open (in this transaction) and say what is available. */
async function rejectShortStock(
  trx: Transaction<InventoryTables>,
  request: CheckoutRequest,
  correlationId: string,
  shortages: Shortages,
): Promise<AppError> {
  let shortage = shortages.get(request.sku);
  if (!shortage) {
    shortage = (async () => {
      const product = await trx
        .selectFrom('products')
        .select(['stock', 'reorder_quantity', 'factory_id'])
        .where('sku', '=', request.sku)
        .executeTakeFirst();
      if (!product) return null;
      const { replenishment } = await openReplenishmentIfNone(trx, {
        sku: request.sku,
        quantity: product.reorder_quantity,
        factoryId: product.factory_id,
        stock: product.stock,
        correlationId,
      });
      return { stock: product.stock, replenishment };
    })();
    shortages.set(request.sku, shortage);
  }
  const known = await shortage;
  if (!known) return new ProductNotFoundError(request.sku);
  return new OutOfStockError(request.sku, request.quantity, known.stock, toReplenishment(known.replenishment));
}

/** Canonical hash of the fields that define "the same request". */
export function hashRequest(request: CheckoutRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.sku, request.quantity, request.customerId]))
    .digest('hex');
}
