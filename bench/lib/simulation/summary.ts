/** The shelf's stock as read at a moment, seconds since the replay began. */
export interface StockSample {
  readonly t: number;
  readonly stock: number;
}

/** One buyer's checkout of one unit: when it was sent and what came back. */
export interface CheckoutAnswer {
  readonly t: number;
  /** HTTP status; 0 when no answer came (a transport error or a timeout). */
  readonly status: number;
  /** The error code of a refusal (`out_of_stock`), null otherwise. */
  readonly code: string | null;
  /** Stock the answer reports: `remaining` after a sale, `available` at a refusal. */
  readonly stock: number | null;
}

/** A replenishment as the database recorded it, in seconds since the replay began. */
export interface FactoryOrder {
  readonly requestedS: number;
  /** When its stock arrived; null while open or after a timeout. */
  readonly completedS: number | null;
  readonly quantity: number;
  readonly status: string;
}

/** The window a summary covers and the moment after which stock must have settled. */
export interface SummaryWindow {
  readonly fromS: number;
  readonly toS: number;
  /** Demand has been steady for the settling time from here on. */
  readonly settledFromS: number;
}

/** What one policy did over one replay. */
export interface PolicySummary {
  /** Checkouts sent, one unit each. */
  readonly demanded: number;
  /** Answered 201. */
  readonly sold: number;
  /** Answered 409 out_of_stock: lost sales. */
  readonly refused: number;
  /** Sampled stock was zero this long. */
  readonly secondsOutOfStock: number;
  /** Time-weighted mean of the sampled stock. */
  readonly meanStock: number;
  readonly maxStock: number;
  /** The largest stock once demand had been steady again for the settling time. */
  readonly maxStockSettled: number;
  /** Replenishments opened during the window. */
  readonly factoryOrders: number;
  readonly unitsOrdered: number;
}

export interface StepStats {
  readonly secondsAtZero: number;
  readonly mean: number;
  readonly max: number;
}

/**
 * Reads samples as a step function (each value holds until the next sample) over [fromS, toS]: how
 * long it was zero, its time-weighted mean and its largest value. A value sampled before `fromS` holds
 * into the window; before the first sample nothing is known and nothing is counted.
 */
export function stepStats(samples: readonly StockSample[], fromS: number, toS: number): StepStats {
  let zero = 0;
  let area = 0;
  let covered = 0;
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    const start = Math.max(sample.t, fromS);
    const end = Math.min(samples[i + 1]?.t ?? toS, toS);
    if (end <= start) continue;
    const width = end - start;
    covered += width;
    area += sample.stock * width;
    if (sample.stock <= 0) zero += width;
    max = Math.max(max, sample.stock);
  }
  return { secondsAtZero: zero, mean: covered > 0 ? area / covered : 0, max };
}

export function summarizePolicy(
  answers: readonly CheckoutAnswer[],
  samples: readonly StockSample[],
  orders: readonly FactoryOrder[],
  window: SummaryWindow,
): PolicySummary {
  const whole = stepStats(samples, window.fromS, window.toS);
  const settled = stepStats(samples, window.settledFromS, window.toS);
  const placed = orders.filter((o) => o.requestedS >= window.fromS && o.requestedS < window.toS);
  return {
    demanded: answers.length,
    sold: answers.filter((a) => a.status === 201).length,
    refused: answers.filter((a) => a.status === 409 && a.code === 'out_of_stock').length,
    secondsOutOfStock: whole.secondsAtZero,
    meanStock: whole.mean,
    maxStock: whole.max,
    maxStockSettled: settled.max,
    factoryOrders: placed.length,
    unitsOrdered: placed.reduce((sum, o) => sum + o.quantity, 0),
  };
}

export interface SimulationTarget {
  readonly name: string;
  readonly value: number;
  /** The bound the value is held to (a floor or a ceiling, as the name says). */
  readonly limit: number;
  readonly ok: boolean;
}

/** Share of fewer units refused by `adaptive` than by `fixed` (1: none refused; 0 when fixed refused none). */
export function refusalReduction(fixed: PolicySummary, adaptive: PolicySummary): number {
  return fixed.refused > 0 ? 1 - adaptive.refused / fixed.refused : 0;
}

/**
 * The targets of the simulation: the adaptive policy refuses at least 80 % fewer units than the fixed
 * one, and once demand has been steady again for the settling time it holds no more than the fixed
 * policy's largest stock plus one adaptive order at steady demand.
 */
export function simulationTargets(
  fixed: PolicySummary,
  adaptive: PolicySummary,
  steadyOrderQuantity: number,
): SimulationTarget[] {
  const reduction = refusalReduction(fixed, adaptive);
  const pileLimit = fixed.maxStock + steadyOrderQuantity;
  return [
    {
      name: 'adaptive refuses ≥ 80 % fewer units than fixed',
      value: reduction,
      limit: 0.8,
      ok: fixed.refused > 0 ? reduction >= 0.8 : adaptive.refused === 0,
    },
    {
      name: "settled adaptive stock ≤ fixed's largest + one adaptive order at steady demand",
      value: adaptive.maxStockSettled,
      limit: pileLimit,
      ok: adaptive.maxStockSettled <= pileLimit,
    },
  ];
}
