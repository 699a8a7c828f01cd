import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AppError } from '../../contract/errors.ts';
import type { CheckoutRequest, Order } from '../../contract/http.ts';
import { newReplenishment } from '../../databases/inventory/replenishments.ts';
import type { InventoryTables, ReplenishmentStatus } from '../../databases/inventory/tables.ts';
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
  outcome: 'placed' | 'replay' | 'short' | 'missing';
  /** Stock after the sale ('placed'), or what was available ('short'). */
  stock: number | null;
  earlier_hash: string | null;
  earlier_status: number | null;
  earlier_response: unknown;
  /** 'short': the open replenishment. */
  r_id: string | null;
  r_status: ReplenishmentStatus | null;
  r_quantity: number | null;
  r_requested_at: Date | null;
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
 * Places orders in ONE statement, so in one transaction (group commit: concurrent checkouts share its
 * cost, each still gets its own answer). Per item, place_orders() runs the conditional decrement (never
 * select-then-update), the order row, `order.placed` in the outbox and the Idempotency-Key record, and
 * opens a replenishment (with `replenishment.requested`) when stock reaches the reorder point. An item
 * with too little stock writes nothing of its own but opens a replenishment if none is open, and gets
 * out_of_stock. Rejected items store nothing under their key. Everything commits together or nothing
 * does; an unexpected database error rejects the whole call.
 */
export async function placeOrders(
  db: Kysely<InventoryTables>,
  items: readonly CheckoutItem[],
): Promise<CheckoutOutcome[]> {
  const prepared = items.map(prepare);
  let rows: (PlaceOrderRow & { idx: number })[];
  try {
    ({ rows } = await sql<PlaceOrderRow & { idx: number }>`select * from place_orders(${JSON.stringify(
      prepared.map((p) => p.args),
    )}::jsonb, ${JSON.stringify(replenishmentsToOpen(items))}::jsonb) order by idx`.execute(db));
  } catch (error) {
    // A concurrent transaction (PostgreSQL) committed one of the keys first; nothing was written.
    if ((error as { code?: unknown }).code === SERIALIZATION_FAILURE) throw new KeyRace();
    throw error;
  }
  return rows.map((row) => settle(prepared[row.idx]!, row));
}

const SERIALIZATION_FAILURE = '40001';

/** Per sku of the batch, what place_orders() needs to open a replenishment if it has to. */
function replenishmentsToOpen(items: readonly CheckoutItem[]): Record<string, ReturnType<typeof newReplenishment>> {
  const bySku = new Map<string, ReturnType<typeof newReplenishment>>();
  for (const { request, correlationId } of items) {
    if (!bySku.has(request.sku)) bySku.set(request.sku, newReplenishment(request.sku, correlationId));
  }
  return Object.fromEntries(bySku);
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

/** Turns place_orders()' answer for an item into its outcome. */
function settle(prepared: PreparedItem, placed: PlaceOrderRow): CheckoutOutcome {
  const { item, order, requestHash } = prepared;
  const { request } = item;
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
    case 'missing':
      return { error: new ProductNotFoundError(request.sku) };
    case 'short':
      if (placed.r_id === null) throw new Error(`no open replenishment for ${request.sku} after a shortage`);
      return {
        error: new OutOfStockError(
          request.sku,
          request.quantity,
          placed.stock!,
          toReplenishment({
            id: placed.r_id,
            status: placed.r_status!,
            quantity: placed.r_quantity!,
            requested_at: placed.r_requested_at!,
          }),
        ),
      };
  }
  return { answer: { status: 201, body: { order, remaining: placed.stock! }, replayed: false } };
}

/** Canonical hash of the fields that define "the same request". */
export function hashRequest(request: CheckoutRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.sku, request.quantity, request.customerId]))
    .digest('hex');
}
