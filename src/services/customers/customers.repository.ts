import { type Kysely, sql } from 'kysely';
import type { CustomerRow, CustomersTables, CustomerTier } from '../../databases/customers/tables.ts';

/** `GET /customers/{id}` (CONTRACT.md). */
export interface Customer {
  readonly id: string;
  readonly tier: CustomerTier;
  readonly purchasedQuantity: number;
  readonly updatedAt: string;
}

export interface PurchaseInput {
  readonly orderId: string;
  readonly customerId: string;
  readonly quantity: number;
  readonly correlationId: string;
}

export type PurchaseOutcome =
  | { readonly counted: false }
  | { readonly counted: true; readonly customer: Customer; readonly promoted: boolean };

/**
 * Counts one order toward its customer in one atomic call of the count_purchases() database function
 * (see the migrations): the order id goes into the inbox first (a second delivery inserts nothing and
 * changes nothing), the quantity is added with an upsert, and a customer crossing `vipThreshold` is
 * promoted by a conditional update (`tier = 'normal'`) that writes `customer.promoted` to the outbox —
 * so the promotion and its event commit together, once per customer, even under concurrent orders.
 */
export async function recordPurchase(
  db: Kysely<CustomersTables>,
  input: PurchaseInput,
  vipThreshold: number,
): Promise<PurchaseOutcome> {
  const [outcome] = await recordPurchases(db, [input], vipThreshold);
  return outcome!;
}

/**
 * {@link recordPurchase} for several orders in one round trip and one statement set (count_purchases()),
 * one outcome per input, in order. The same order twice in one call counts once.
 */
export async function recordPurchases(
  db: Kysely<CustomersTables>,
  inputs: readonly PurchaseInput[],
  vipThreshold: number,
): Promise<PurchaseOutcome[]> {
  const now = new Date().toISOString();
  const items = inputs.map(({ orderId, customerId, quantity, correlationId }) => ({
    orderId,
    customerId,
    quantity,
    correlationId,
  }));
  // count_purchases() (see the migrations) builds the customer.promoted envelope itself, only for the
  // order that promotes, in the same shape as outboxEnvelope().
  const { rows } = await sql<RecordPurchaseRow & { idx: number }>`select * from count_purchases(
      ${JSON.stringify(items)}::jsonb, ${vipThreshold}::int, ${now}::text) order by idx`.execute(db);
  return rows.map((row) => {
    if (!row.counted) return { counted: false };
    const customer: Customer = {
      id: inputs[row.idx]!.customerId,
      tier: row.tier as CustomerTier,
      purchasedQuantity: row.purchased_quantity!,
      updatedAt: new Date(row.updated_at!).toISOString(),
    };
    return { counted: true, customer, promoted: row.promoted };
  });
}

export interface CancellationInput {
  readonly orderId: string;
  readonly customerId: string;
  /** The order's total quantity, as the cancellation event carries it. */
  readonly quantity: number;
}

/**
 * Takes a cancelled order off its customer, once, in one statement: the inbox row is marked cancelled
 * (or, for a cancellation that arrives before its placement, inserted as never counted, so the later
 * `order.placed` counts nothing) and only an order that was counted lowers `purchasedQuantity`, by the
 * quantity it added. The tier is left alone: a VIP stays VIP. Returns whether anything changed.
 */
export async function recordCancellation(db: Kysely<CustomersTables>, input: CancellationInput): Promise<boolean> {
  const { rows } = await sql<{ placed: boolean }>`
    with marked as (
      insert into processed_orders as p (order_id, customer_id, quantity, placed, cancelled_at)
        values (${input.orderId}, ${input.customerId}, ${input.quantity}, false, now())
        on conflict (order_id) do update set cancelled_at = excluded.cancelled_at where p.cancelled_at is null
        returning p.customer_id, p.quantity, p.placed
    ),
    lowered as (
      update customers c set purchased_quantity = c.purchased_quantity - m.quantity, updated_at = now()
        from marked m where c.id = m.customer_id and m.placed
        returning c.id
    )
    select m.placed from marked m`.execute(db);
  return rows.length > 0;
}

interface RecordPurchaseRow {
  counted: boolean;
  tier: string | null;
  purchased_quantity: number | null;
  updated_at: Date | string | null;
  promoted: boolean;
}

export async function findCustomer(db: Kysely<CustomersTables>, id: string): Promise<Customer | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toCustomer(row) : undefined;
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    tier: row.tier,
    purchasedQuantity: row.purchased_quantity,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
