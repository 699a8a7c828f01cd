import type { ReplenishmentRow } from '../../src/databases/inventory/tables.ts';
import { OPEN_REPLENISHMENT_STATUSES } from '../../src/databases/inventory/tables.ts';
import { percentile } from './load.ts';

/** What a sale's replenishments show: whether two of one sku were ever open at once, and their timings. */
export interface ReplenishmentFigures {
  count: number;
  /** Replenishments requested while the one before, of the same sku, was still open. */
  overlaps: number;
  stillOpen: number;
  /** Units the completed ones added, per sku. */
  deliveredBySku: Map<string, number>;
  stockOutToFactoryOrderMs: { p50: number; max: number; count: number };
  /** Replenishment requested → its stock added (factory order, production, callback, restock): the refill. */
  refillMs: { p50: number; max: number };
}

/** `rows` ordered by sku, then by when they were requested. */
export function replenishmentFigures(rows: readonly ReplenishmentRow[]): ReplenishmentFigures {
  let overlaps = 0;
  for (let i = 1; i < rows.length; i++) {
    const [prev, next] = [rows[i - 1]!, rows[i]!];
    if (prev.sku !== next.sku) continue;
    if (!prev.completed_at || new Date(next.requested_at) < new Date(prev.completed_at)) overlaps += 1;
  }
  const deliveredBySku = new Map<string, number>();
  for (const r of rows) {
    if (r.status === 'completed')
      deliveredBySku.set(r.sku, (deliveredBySku.get(r.sku) ?? 0) + (r.produced_quantity ?? 0));
  }
  const orderLatencies = rows
    .filter((r) => r.ordered_at)
    .map((r) => new Date(r.ordered_at!).getTime() - new Date(r.requested_at).getTime())
    .sort((a, b) => a - b);
  const refills = rows
    .filter((r) => r.completed_at)
    .map((r) => new Date(r.completed_at!).getTime() - new Date(r.requested_at).getTime())
    .sort((a, b) => a - b);
  return {
    count: rows.length,
    overlaps,
    stillOpen: rows.filter((r) => (OPEN_REPLENISHMENT_STATUSES as readonly string[]).includes(r.status)).length,
    deliveredBySku,
    stockOutToFactoryOrderMs: {
      p50: percentile(orderLatencies, 50),
      max: orderLatencies.at(-1) ?? 0,
      count: orderLatencies.length,
    },
    refillMs: { p50: percentile(refills, 50), max: refills.at(-1) ?? 0 },
  };
}
