import { type Kysely, sql } from 'kysely';
import { outboxEnvelope } from '../../platform/outbox.ts';
import type { CustomerRow, CustomersTables, CustomerTier } from './tables.ts';

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
 * Counts one order toward its customer in one atomic call of the record_purchase() database function
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
  const now = new Date();
  // purchasedQuantity is only known inside the database; record_purchase() fills it in.
  const event = outboxEnvelope(
    'customer.promoted',
    {
      customerId: input.customerId,
      tier: 'vip',
      purchasedQuantity: vipThreshold,
      threshold: vipThreshold,
      orderId: input.orderId,
      promotedAt: now.toISOString(),
    },
    input.correlationId,
  );
  const { rows } = await sql<RecordPurchaseRow>`select * from record_purchase(
      ${input.orderId}::text, ${input.customerId}::text, ${input.quantity}::int, ${vipThreshold}::int,
      ${now.toISOString()}::timestamptz, ${event.id}::uuid, ${JSON.stringify(event)}::jsonb)`.execute(db);
  const row = rows[0]!;
  if (!row.counted) return { counted: false };
  const customer: Customer = {
    id: input.customerId,
    tier: row.tier as CustomerTier,
    purchasedQuantity: row.purchased_quantity!,
    updatedAt: new Date(row.updated_at!).toISOString(),
  };
  return { counted: true, customer, promoted: row.promoted };
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
