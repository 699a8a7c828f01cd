import { createHash, randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { AppError } from '../../contract/errors.ts';
import { type CartOrder, type CheckoutBody, isCart, type Order, type Replenishment } from '../../contract/http.ts';
import { newReplenishment } from '../../databases/inventory/replenishments.ts';
import type { InventoryTables, ReplenishmentStatus } from '../../databases/inventory/tables.ts';
import { outboxEnvelope } from '../../platform/outbox.ts';
import {
  CartOutOfStockError,
  CartProductsNotFoundError,
  IdempotencyKeyReusedError,
  OutOfStockError,
  ProductNotFoundError,
} from './errors.ts';
import { toReplenishment } from './products.repository.ts';

export interface CheckoutAnswer {
  readonly status: number;
  /** A single-sku order's answer, or a cart's (its remaining stock per sku). */
  readonly body: { order: Order; remaining: number } | { order: CartOrder; remaining: Record<string, number> };
  /** True when this answer is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface CheckoutItem {
  readonly request: CheckoutBody;
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
  /** The line of a cart this row is about (a cart answers one row per line placed, short or missing). */
  line_sku: string | null;
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
 * `replenishment.requested`) when stock reaches the reorder point in force (an adaptive product's planned
 * point and quantity, else the operator's: docs/planning.md). An item with too little stock writes
 * nothing of its own; it opens a replenishment if none is open only when the stock it finds is at or
 * below that point, and gets out_of_stock. Rejected items store nothing under their key.
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
  const byItem = prepared.map((): PlaceOrderRow[] => []);
  for (const row of rows) byItem[row.idx]!.push(row);
  return prepared.map((p, idx) => settle(p, byItem[idx]!));
}

/** Per sku of the batch, what place_orders() needs to open a replenishment if it has to. */
function replenishmentsToOpen(items: readonly CheckoutItem[]): Record<string, ReturnType<typeof newReplenishment>> {
  const bySku = new Map<string, ReturnType<typeof newReplenishment>>();
  for (const { request, correlationId } of items) {
    for (const { sku } of linesOf(request)) {
      if (!bySku.has(sku)) bySku.set(sku, newReplenishment(sku, correlationId));
    }
  }
  return Object.fromEntries(bySku);
}

/** A request's lines: a single-sku order has one. */
function linesOf(request: CheckoutBody): readonly { sku: string; quantity: number }[] {
  return isCart(request) ? request.items : [{ sku: request.sku, quantity: request.quantity }];
}

interface PreparedItem {
  readonly item: CheckoutItem;
  readonly order: Order | CartOrder;
  readonly requestHash: string;
  /** The item as place_orders() reads it from JSON. */
  readonly args: Record<string, unknown>;
}

function prepare(item: CheckoutItem): PreparedItem {
  const { request, idempotencyKey: key, correlationId } = item;
  const requestHash = key === undefined ? '' : hashRequest(request);
  const id = randomUUID();
  const createdAt = new Date().toISOString();
  const items = linesOf(request).map(({ sku, quantity }) => ({ sku, quantity }));
  const quantity = items.reduce((sum, line) => sum + line.quantity, 0);
  const cart = isCart(request);
  const order: Order | CartOrder = cart
    ? { id, customerId: request.customerId, items, createdAt }
    : { id, sku: request.sku, quantity: request.quantity, customerId: request.customerId, createdAt };
  // A single-sku order's `remaining` is only known inside the database; place_orders() fills it in.
  const event = outboxEnvelope(
    'order.placed',
    cart
      ? { orderId: id, quantity, customerId: request.customerId, items, createdAt }
      : { orderId: id, sku: request.sku, quantity, customerId: request.customerId, remaining: 0, items, createdAt },
    correlationId,
  );
  const args = {
    sku: cart ? null : request.sku,
    quantity,
    lines: cart ? items : null,
    orderId: id,
    customerId: request.customerId,
    correlationId,
    createdAt,
    eventId: event.id,
    event,
    key: key ?? null,
    requestHash,
    response: { order, remaining: cart ? {} : 0 },
  };
  return { item, order, requestHash, args };
}

function replenishmentOf(row: PlaceOrderRow): Replenishment | null {
  return row.r_id === null
    ? null
    : toReplenishment({
        id: row.r_id,
        status: row.r_status!,
        quantity: row.r_quantity!,
        requested_at: row.r_requested_at!,
      });
}

/** Turns place_orders()' answer for an item (one row, or one per line of a cart) into its outcome. */
function settle(prepared: PreparedItem, rows: readonly PlaceOrderRow[]): CheckoutOutcome {
  const { item, order, requestHash } = prepared;
  const { request } = item;
  const first = rows[0]!;
  if (first.outcome === 'replay') {
    if (first.earlier_hash !== requestHash) return { error: new IdempotencyKeyReusedError() };
    return {
      answer: { status: first.earlier_status!, body: first.earlier_response as CheckoutAnswer['body'], replayed: true },
    };
  }
  if (isCart(request)) {
    const missing = rows.filter((row) => row.outcome === 'missing').map((row) => row.line_sku!);
    if (missing.length > 0) return { error: new CartProductsNotFoundError(missing) };
    const short = rows.filter((row) => row.outcome === 'short');
    if (short.length > 0) {
      const requested = new Map(request.items.map((line) => [line.sku, line.quantity]));
      return {
        error: new CartOutOfStockError(
          short.map((row) => ({
            sku: row.line_sku!,
            requested: requested.get(row.line_sku!)!,
            available: row.stock!,
            replenishment: replenishmentOf(row),
          })),
        ),
      };
    }
    const remaining = Object.fromEntries(rows.map((row) => [row.line_sku!, row.stock!]));
    return { answer: { status: 201, body: { order: order as CartOrder, remaining }, replayed: false } };
  }
  switch (first.outcome) {
    case 'missing':
      return { error: new ProductNotFoundError(request.sku) };
    case 'short':
      return { error: new OutOfStockError(request.sku, request.quantity, first.stock!, replenishmentOf(first)) };
  }
  return { answer: { status: 201, body: { order: order as Order, remaining: first.stock! }, replayed: false } };
}

/**
 * Canonical hash of the fields that define "the same request": sku, quantity and customer, or a cart's
 * lines (in sku order) and customer. (The key is stored per customer too, so another customer's request
 * never meets this hash.)
 */
export function hashRequest(request: CheckoutBody): string {
  const fields = isCart(request)
    ? [
        'cart',
        [...request.items].sort((a, b) => (a.sku < b.sku ? -1 : 1)).map((line) => [line.sku, line.quantity]),
        request.customerId,
      ]
    : [request.sku, request.quantity, request.customerId];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
