import { normalQuantile } from './normal-quantile.ts';

export interface DecisionInput {
  /** Measured demand, units per second. */
  readonly demandPerSecond: number;
  /**
   * The same measured with a shorter half-life (docs/planning.md); `demandPerSecond` when not given. The
   * reorder point rests on the larger of the two, the order quantity on the smaller.
   */
  readonly fastDemandPerSecond?: number;
  /** Standard deviation of one second's demand, units per second. */
  readonly demandStdDev: number;
  readonly leadTimeS: number;
  /** Probability of not running out during a lead time, strictly between 0 and 1. */
  readonly serviceLevel: number;
  /** The operator's batch size: the smallest order. */
  readonly reorderQuantity: number;
  /** Orders are whole multiples of this (the factory's batch). */
  readonly orderMultiple: number;
  /** The largest order; it wins over every other rule. */
  readonly maxOrderQuantity: number | null;
  /** An order should cover demand for this long. */
  readonly coverS: number;
}

export interface Decision {
  /** Reorder when stock falls to or below this. */
  readonly reorderPoint: number;
  readonly orderQuantity: number;
  /** The safety stock inside the reorder point. */
  readonly safetyStock: number;
}

/**
 * The reorder point and order quantity for measured demand and lead time (docs/planning.md):
 *
 *   reorderPoint  = ⌈ d⁺·L + z(serviceLevel)·σ·√L ⌉
 *   orderQuantity = min(cap, roundUp(max(reorderQuantity, ⌈d⁻·max(T, L)⌉), orderMultiple))
 *
 * with d⁺ and d⁻ the larger and the smaller of the two demand estimates (units per second), σ the
 * standard deviation of one second's demand, L the lead time, T the cover period, and cap the largest
 * multiple of orderMultiple within maxOrderQuantity (maxOrderQuantity itself when it is smaller than one
 * multiple). The point reacts to whichever estimate sees a surge first; the quantity stops ordering for
 * a surge one of them already sees fading. An order covers at least the lead time: only one
 * replenishment is open at a time, so a smaller one could never keep up. Pure.
 */
export function decide(input: DecisionInput): Decision {
  const slow = Math.max(0, input.demandPerSecond);
  const fast = Math.max(0, input.fastDemandPerSecond ?? slow);
  const high = Math.max(slow, fast);
  const low = Math.min(slow, fast);
  const sigma = Math.max(0, input.demandStdDev);
  const lead = Math.max(0, input.leadTimeS);
  const z = Math.max(0, normalQuantile(input.serviceLevel));
  const safety = z * sigma * Math.sqrt(lead);
  const reorderPoint = Math.ceil(high * lead + safety - 1e-9);
  const wanted = Math.max(input.reorderQuantity, Math.ceil(low * Math.max(input.coverS, lead) - 1e-9));
  const multiple = Math.max(1, input.orderMultiple);
  let orderQuantity = Math.ceil(wanted / multiple) * multiple;
  if (input.maxOrderQuantity !== null) {
    const cap = Math.floor(input.maxOrderQuantity / multiple) * multiple || input.maxOrderQuantity;
    orderQuantity = Math.min(orderQuantity, cap);
  }
  return { reorderPoint: Math.max(0, reorderPoint), orderQuantity, safetyStock: Math.max(0, Math.ceil(safety - 1e-9)) };
}
