/**
 * A product's demand as an exponentially decayed rate over one-second buckets of demand (units sold plus
 * units refused for lack of stock), with its exponentially decayed variance. `observedUntilS` is the end
 * (epoch seconds) of the last bucket folded in: every second up to it counted, a second without demand as
 * zero.
 */
export interface DemandState {
  /** Units per second. */
  readonly perSecond: number;
  /** Variance of the units sold in one second, (units/s)². */
  readonly variance: number;
  readonly observedUntilS: number;
}

/**
 * Units demanded in the second starting at `atS` (epoch seconds, whole): sold, or asked for and refused
 * for lack of stock. Buckets of the same second add up.
 */
export interface DemandBucket {
  readonly atS: number;
  readonly units: number;
}

/**
 * Seconds of silence folded one by one; beyond this the rest decays in one step (the mean exactly, the
 * variance as if no further spread were seen), so folding a long restart gap stays cheap.
 */
const MAX_STEPWISE_GAP_S = 600;

/** The weight one second's sales get: half of the estimate is renewed every half-life. */
export function secondWeight(halfLifeS: number): number {
  return 1 - 2 ** (-1 / halfLifeS);
}

function foldSecond(perSecond: number, variance: number, units: number, alpha: number): [number, number] {
  const diff = units - perSecond;
  return [perSecond + alpha * diff, (1 - alpha) * (variance + alpha * diff * diff)];
}

function foldSilence(perSecond: number, variance: number, seconds: number, alpha: number): [number, number] {
  let mean = perSecond;
  let v = variance;
  const stepwise = Math.min(seconds, MAX_STEPWISE_GAP_S);
  for (let i = 0; i < stepwise; i++) [mean, v] = foldSecond(mean, v, 0, alpha);
  const rest = seconds - stepwise;
  if (rest > 0) {
    const keep = (1 - alpha) ** rest;
    mean *= keep;
    v *= keep;
  }
  return [mean, v];
}

/**
 * Folds the buckets at or after `state.observedUntilS` and before `untilS` into the state, the
 * seconds between them as zero sales, and returns the state observed until `untilS`. Buckets before
 * `observedUntilS` were counted already and are skipped, so folding the same range twice counts
 * nothing twice. Pure.
 */
export function foldDemand(
  state: DemandState,
  buckets: readonly DemandBucket[],
  untilS: number,
  halfLifeS: number,
): DemandState {
  if (untilS <= state.observedUntilS) return state;
  const alpha = secondWeight(halfLifeS);
  let { perSecond, variance, observedUntilS: cursor } = state;
  // Several buckets of one second (its sales and its refusals) are one second's demand.
  const unitsBySecond = new Map<number, number>();
  for (const b of buckets) {
    if (b.atS >= cursor && b.atS < untilS) unitsBySecond.set(b.atS, (unitsBySecond.get(b.atS) ?? 0) + b.units);
  }
  const ordered = [...unitsBySecond].map(([atS, units]) => ({ atS, units })).sort((a, b) => a.atS - b.atS);
  for (const bucket of ordered) {
    [perSecond, variance] = foldSilence(perSecond, variance, bucket.atS - cursor, alpha);
    [perSecond, variance] = foldSecond(perSecond, variance, bucket.units, alpha);
    cursor = bucket.atS + 1;
  }
  [perSecond, variance] = foldSilence(perSecond, variance, untilS - cursor, alpha);
  return { perSecond, variance, observedUntilS: untilS };
}

/**
 * The faster of the two demand estimates (docs/planning.md) has this share of the demand half-life: it
 * follows a surge, and its end, sooner, and is noisier.
 */
export const FAST_HALF_LIFE_SHARE = 0.25;

/**
 * The demand per second at `nowS` (epoch seconds, fractional): `perSecond`, observed until the whole
 * second `fromS`, carried on over the buckets since, which are not settled yet and so are not stored
 * (a later run folds them for good). The second `nowS` falls in counts for the part of it that has
 * passed: its units so far as a rate over that part, weighted as that part of a second is. Only the
 * mean is carried; the variance stays as observed. Pure.
 */
export function currentDemand(
  perSecond: number,
  buckets: readonly DemandBucket[],
  fromS: number,
  nowS: number,
  halfLifeS: number,
): number {
  if (nowS <= fromS) return perSecond;
  const whole = Math.floor(nowS);
  const folded = foldDemand({ perSecond, variance: 0, observedUntilS: fromS }, buckets, whole, halfLifeS).perSecond;
  const part = nowS - Math.max(whole, fromS);
  if (part <= 0) return folded;
  const units = buckets.reduce((sum, b) => (b.atS === whole ? sum + b.units : sum), 0);
  const weight = 1 - 2 ** (-part / halfLifeS);
  return folded + weight * (units / part - folded);
}
