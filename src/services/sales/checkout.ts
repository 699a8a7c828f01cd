import { createHash, randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
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
  /** 'short': the open replenishment, if any. */
  r_id: string | null;
  r_status: ReplenishmentStatus | null;
  r_quantity: number | null;
  r_requested_at: Date | null;
}

/** How long a placed order's answer is remembered under its Idempotency-Key (IDEMPOTENCY_TTL_S). */
export interface CheckoutOptions {
  readonly idempotencyTtlS: number;
}

/** Tries of one checkout that meets a deadlock or a serialization failure, the first included. */
const MAX_ATTEMPTS = 5;

/**
 * Places one order. See {@link placeOrders}; this also retries, a few times after a short random pause,
 * what PostgreSQL undoes and asks to retry: a deadlock (e.g. with a concurrent restock) or a
 * serialization failure (e.g. a concurrent request with the same Idempotency-Key committed first, so
 * the retry replays its answer). Nothing of an undone attempt was written.
 * Throws ProductNotFoundError, OutOfStockError or IdempotencyKeyReusedError.
 */
export async function checkout(
  db: Kysely<InventoryTables>,
  item: CheckoutItem,
  options: CheckoutOptions,
): Promise<CheckoutAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [outcome] = await placeOrders(db, [item], options);
      if ('error' in outcome!) throw outcome.error;
      return outcome!.answer;
    } catch (error) {
      if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
      await setTimeout(retryPauseMs(attempt));
    }
  }
}

/** SQLSTATE 40001 serialization_failure and 40P01 deadlock_detected: the transaction was undone, retry it. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** Full jitter on a doubling ceiling, so the transactions that collided do not collide again in step. */
function retryPauseMs(attempt: number): number {
  return Math.random() * 5 * 2 ** attempt;
}

/**
 * Places orders in ONE statement, so in one transaction (group commit: concurrent checkouts share its
 * cost, each still gets its own answer). Per item, place_orders() runs the conditional decrement (never
 * select-then-update), the order row, `order.placed` in the outbox and the Idempotency-Key record (keyed
 * by customer and key, forgotten after `idempotencyTtlS`), and opens a replenishment (with
 * `replenishment.requested`) when stock reaches the reorder point. An item with too little stock writes
 * nothing of its own; it opens a replenishment if none is open only when the stock it finds is at or
 * below the reorder point, and gets out_of_stock. Rejected items store nothing under their key.
 * Everything commits together or nothing does; a database error rejects the whole call.
 */
export async function placeOrders(
  db: Kysely<InventoryTables>,
  items: readonly CheckoutItem[],
  options: CheckoutOptions,
): Promise<CheckoutOutcome[]> {
  const prepared = items.map(prepare);
  const { rows } = await sql<PlaceOrderRow & { idx: number }>`select * from place_orders(${JSON.stringify(
    prepared.map((p) => p.args),
  )}::jsonb, ${JSON.stringify(replenishmentsToOpen(items))}::jsonb, ${options.idempotencyTtlS}::int) order by idx`.execute(
    db,
  );
  return rows.map((row) => settle(prepared[row.idx]!, row));
}

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
      return {
        error: new OutOfStockError(
          request.sku,
          request.quantity,
          placed.stock!,
          placed.r_id === null
            ? null
            : toReplenishment({
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

/**
 * Canonical hash of the fields that define "the same request": sku, quantity and customer. (The key is
 * stored per customer too, so another customer's request never meets this hash.)
 */
export function hashRequest(request: CheckoutRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.sku, request.quantity, request.customerId]))
    .digest('hex');
}
