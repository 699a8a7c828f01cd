import type { Kysely, Transaction } from 'kysely';
import { appendToOutbox } from '../../platform/outbox.ts';
import type { CustomerRow, CustomersTables, CustomerTier } from './tables.ts';
import { isPromotion } from './vip-rule.ts';

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
 * Counts one order toward its customer, inside the caller's transaction: the order id goes into the
 * inbox first (a second delivery inserts nothing and changes nothing), then the quantity is added with
 * an upsert, and a customer crossing `vipThreshold` is promoted by a conditional update
 * (`WHERE tier = 'normal'`) that writes `customer.promoted` to the outbox — so the promotion and its
 * event commit together, once per customer, even under concurrent orders.
 */
export async function recordPurchase(
  trx: Transaction<CustomersTables>,
  input: PurchaseInput,
  vipThreshold: number,
): Promise<PurchaseOutcome> {
  const first = await trx
    .insertInto('processed_orders')
    .values({ order_id: input.orderId, customer_id: input.customerId, quantity: input.quantity })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .returning('order_id')
    .executeTakeFirst();
  if (!first) return { counted: false };

  const now = new Date();
  const customer = await trx
    .insertInto('customers')
    .values({
      id: input.customerId,
      tier: 'normal',
      purchased_quantity: input.quantity,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        purchased_quantity: eb('customers.purchased_quantity', '+', eb.ref('excluded.purchased_quantity')),
        updated_at: now,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  if (!isPromotion(customer.tier, customer.purchased_quantity, vipThreshold)) {
    return { counted: true, customer: toCustomer(customer), promoted: false };
  }

  const promoted = await trx
    .updateTable('customers')
    .set({ tier: 'vip', updated_at: now })
    .where('id', '=', input.customerId)
    .where('tier', '=', 'normal')
    .returningAll()
    .executeTakeFirst();
  if (!promoted) return { counted: true, customer: toCustomer(customer), promoted: false };
  await appendToOutbox(
    trx,
    'customer.promoted',
    {
      customerId: promoted.id,
      tier: 'vip',
      purchasedQuantity: promoted.purchased_quantity,
      threshold: vipThreshold,
      orderId: input.orderId,
      promotedAt: now.toISOString(),
    },
    input.correlationId,
  );
  return { counted: true, customer: toCustomer(promoted), promoted: true };
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
