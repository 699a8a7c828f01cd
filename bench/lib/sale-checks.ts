import type { Invariant } from '../flash-sale.ts';
import { type LoadResult, percentile } from './load.ts';

interface PlacedOrder {
  readonly id: string;
  readonly quantity: number;
  readonly created_at: Date | string;
}

interface CountedOrder {
  readonly order_id: string;
  readonly processed_at: Date | string;
}

/**
 * What every sale must show downstream of its orders, whatever it sold: customers counted each order
 * once and in full, the outbox published everything, and no request failed with a 5xx.
 */
export function downstreamInvariants(input: {
  readonly orders: readonly PlacedOrder[];
  readonly processed: readonly CountedOrder[];
  readonly customerTotal: number;
  readonly unpublished: number;
  readonly checkout: LoadResult;
}): Invariant[] {
  const { orders, processed, customerTotal, unpublished, checkout } = input;
  const orderedQuantity = orders.reduce((total, o) => total + o.quantity, 0);
  return [
    {
      name: "customers' totals = confirmed quantities",
      ok: customerTotal === orderedQuantity && processed.length === orders.length,
      detail: `customers ${customerTotal} in ${processed.length} orders, confirmed ${orderedQuantity} in ${orders.length}`,
    },
    {
      name: 'no event left behind in the outbox',
      ok: unpublished === 0,
      detail: `${unpublished} unpublished`,
    },
    {
      name: 'no 5xx and no transport errors',
      ok: !Object.keys(checkout.statuses).some((s) => s.startsWith('5')) && checkout.errors === 0,
      detail: JSON.stringify(checkout.statuses),
    },
  ];
}

/** Order placed → counted by the customer service, from the two databases' timestamps. */
export function eventLagMs(orders: readonly PlacedOrder[], processed: readonly CountedOrder[]) {
  const createdAt = new Map(orders.map((o) => [o.id, new Date(o.created_at).getTime()]));
  const lags = processed
    .map((p) => new Date(p.processed_at).getTime() - (createdAt.get(p.order_id) ?? Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? 0 };
}
