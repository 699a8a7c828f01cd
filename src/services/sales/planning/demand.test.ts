import { describe, expect, it } from 'vitest';
import { currentDemand, type DemandBucket, type DemandState, FAST_HALF_LIFE_SHARE, foldDemand } from './demand.ts';

const HALF_LIFE = 20;
const empty: DemandState = { perSecond: 0, variance: 0, observedUntilS: 1000 };

/** `perSecond(t)` units in every second from `fromS` to before `toS`. */
function series(fromS: number, toS: number, perSecond: (t: number) => number): DemandBucket[] {
  const buckets: DemandBucket[] = [];
  for (let t = fromS; t < toS; t++) {
    const units = perSecond(t);
    if (units > 0) buckets.push({ atS: t, units });
  }
  return buckets;
}

describe('foldDemand', () => {
  it('stays at zero with no sales', () => {
    expect(foldDemand(empty, [], 1600, HALF_LIFE)).toEqual({ perSecond: 0, variance: 0, observedUntilS: 1600 });
  });

  it('settles on a steady rate with little variance', () => {
    const state = foldDemand(
      empty,
      series(1000, 1300, () => 2),
      1300,
      HALF_LIFE,
    );
    expect(state.perSecond).toBeCloseTo(2, 3);
    expect(Math.sqrt(state.variance)).toBeLessThan(0.05);
  });

  it('measures the variability of bursty demand', () => {
    // 4 units every other second: 2 per second on average, one standard deviation of 2.
    const state = foldDemand(
      empty,
      series(1000, 1400, (t) => (t % 2 === 0 ? 4 : 0)),
      1400,
      HALF_LIFE,
    );
    expect(state.perSecond).toBeGreaterThan(1.9);
    expect(state.perSecond).toBeLessThan(2.1);
    expect(Math.sqrt(state.variance)).toBeGreaterThan(1.8);
    expect(Math.sqrt(state.variance)).toBeLessThan(2.2);
  });

  it('reacts within seconds to a surge', () => {
    const steady = foldDemand(
      empty,
      series(1000, 1300, () => 1),
      1300,
      HALF_LIFE,
    );
    const surge = foldDemand(
      steady,
      series(1300, 1305, () => 40),
      1305,
      HALF_LIFE,
    );
    // Five seconds of forty times the demand: the estimate is already several times the steady one.
    expect(surge.perSecond).toBeGreaterThan(5 * steady.perSecond);
    const later = foldDemand(
      surge,
      series(1305, 1360, () => 40),
      1360,
      HALF_LIFE,
    );
    expect(later.perSecond).toBeGreaterThan(30);
  });

  it('decays after the surge, halving every half-life without sales', () => {
    const surge = foldDemand(
      empty,
      series(1000, 1120, () => 40),
      1120,
      HALF_LIFE,
    );
    const quiet = foldDemand(surge, [], 1120 + HALF_LIFE, HALF_LIFE);
    expect(quiet.perSecond).toBeCloseTo(surge.perSecond / 2, 6);
    const back = foldDemand(
      surge,
      series(1120, 1420, () => 1),
      1420,
      HALF_LIFE,
    );
    expect(back.perSecond).toBeCloseTo(1, 2);
  });

  it('counts nothing twice when a range is folded again, and keeps its place', () => {
    const buckets = series(1000, 1010, () => 3);
    const once = foldDemand(empty, buckets, 1010, HALF_LIFE);
    expect(foldDemand(once, buckets, 1010, HALF_LIFE)).toBe(once);
    const twice = foldDemand(once, [...buckets, { atS: 1010, units: 3 }], 1011, HALF_LIFE);
    const straight = foldDemand(
      empty,
      series(1000, 1011, () => 3),
      1011,
      HALF_LIFE,
    );
    expect(twice.perSecond).toBeCloseTo(straight.perSecond, 12);
  });

  it('folds a long silence (a restart after a day) cheaply to almost nothing', () => {
    const surge = foldDemand(
      empty,
      series(1000, 1100, () => 40),
      1100,
      HALF_LIFE,
    );
    const dayLater = foldDemand(surge, [], 1100 + 86_400, HALF_LIFE);
    expect(dayLater.perSecond).toBeLessThan(1e-9);
    expect(dayLater.observedUntilS).toBe(1100 + 86_400);
  });

  describe('with stock-outs (censored demand)', () => {
    /**
     * A shop whose shelf holds `shelf` units a second from 1000 to 1030, then sells out: 20 units a second
     * are asked for from 1000 to 1060, 1 a second after that. What it sells and what it refuses.
     */
    function soldOutSurge(): { sold: DemandBucket[]; refused: DemandBucket[] } {
      const asked = (t: number) => (t < 1060 ? 20 : 1);
      const shelf = (t: number) => (t < 1030 || t >= 1060 ? Number.POSITIVE_INFINITY : 0);
      return {
        sold: series(1000, 1120, (t) => Math.min(asked(t), shelf(t))),
        refused: series(1000, 1120, (t) => asked(t) - Math.min(asked(t), shelf(t))),
      };
    }
    const HALF_LIFE_SHORT = 3;

    it('keeps growing with the surge while sold out when refusals count, where sales alone fall', () => {
      const { sold, refused } = soldOutSurge();
      const atSellOut = foldDemand(empty, [...sold, ...refused], 1030, HALF_LIFE_SHORT);
      const salesOnly = foldDemand(empty, sold, 1045, HALF_LIFE_SHORT);
      const censored = foldDemand(empty, [...sold, ...refused], 1045, HALF_LIFE_SHORT);
      // Sales alone read the sold-out seconds as no demand and forget the surge.
      expect(salesOnly.perSecond).toBeLessThan(atSellOut.perSecond / 10);
      // Sales and refusals together still see all of it.
      expect(censored.perSecond).toBeGreaterThanOrEqual(atSellOut.perSecond);
      expect(censored.perSecond).toBeCloseTo(20, 1);
    });

    it('decays once the surge is over, refusals or not', () => {
      const { sold, refused } = soldOutSurge();
      const censored = foldDemand(empty, [...sold, ...refused], 1060, HALF_LIFE_SHORT);
      const after = foldDemand(censored, [...sold, ...refused], 1090, HALF_LIFE_SHORT);
      expect(censored.perSecond).toBeGreaterThan(19);
      expect(after.perSecond).toBeCloseTo(1, 1);
    });

    it('adds a second’s sales and refusals into one second of demand', () => {
      const split = foldDemand(
        empty,
        [
          { atS: 1000, units: 3 },
          { atS: 1000, units: 5 },
        ],
        1001,
        HALF_LIFE,
      );
      const whole = foldDemand(empty, [{ atS: 1000, units: 8 }], 1001, HALF_LIFE);
      expect(split).toEqual(whole);
    });
  });
});

describe('the fast estimate (a quarter of the half-life)', () => {
  const FAST = HALF_LIFE * FAST_HALF_LIFE_SHARE;
  const both = (buckets: DemandBucket[], untilS: number) => ({
    slow: foldDemand(empty, buckets, untilS, HALF_LIFE).perSecond,
    fast: foldDemand(empty, buckets, untilS, FAST).perSecond,
  });
  // 1 unit a second until 1300, 40 from then until 1400, then the excess halving every 10 s.
  const flashSale = series(1000, 1600, (t) =>
    t < 1300 ? 1 : t < 1400 ? 40 : Math.round(1 + 39 * 2 ** (-(t - 1400) / 10)),
  );

  it('is as steady as the slow one at steady demand', () => {
    const { slow, fast } = both(flashSale, 1300);
    expect(slow).toBeCloseTo(1, 3);
    expect(fast).toBeCloseTo(1, 3);
  });

  it('sees a surge sooner: five seconds in it is past half the surge, the slow one under a fifth', () => {
    const { slow, fast } = both(flashSale, 1305);
    expect(fast).toBeGreaterThan(20);
    expect(slow).toBeLessThan(8);
  });

  it('sees the surge end sooner: twenty seconds into the decay it is down by half, the slow one by a quarter', () => {
    const { slow, fast } = both(flashSale, 1420);
    // The demand at 1419: 1 + 39 × 2^(−1.9) ≈ 11.
    expect(fast).toBeLessThan(20);
    expect(slow).toBeGreaterThan(28);
  });
});

describe('currentDemand', () => {
  const steady = foldDemand(
    empty,
    series(1000, 1100, () => 10),
    1100,
    HALF_LIFE,
  );

  it('is the estimate itself when no time has passed since it was observed', () => {
    expect(currentDemand(steady.perSecond, [], 1100, 1100, HALF_LIFE)).toBe(steady.perSecond);
    expect(currentDemand(steady.perSecond, [], 1100, 1099.5, HALF_LIFE)).toBe(steady.perSecond);
  });

  it('folds whole seconds since as foldDemand does, without storing them', () => {
    const later = series(1100, 1102, () => 30);
    expect(currentDemand(steady.perSecond, later, 1100, 1102, HALF_LIFE)).toBeCloseTo(
      foldDemand(steady, later, 1102, HALF_LIFE).perSecond,
      12,
    );
  });

  it('counts the second under way for the part of it that has passed', () => {
    // Half a second at the same rate changes nothing; half a second at three times the rate moves the
    // estimate by the weight of half a second.
    expect(currentDemand(10, [{ atS: 1100, units: 5 }], 1100, 1100.5, HALF_LIFE)).toBeCloseTo(10, 12);
    const weight = 1 - 2 ** (-0.5 / HALF_LIFE);
    expect(currentDemand(10, [{ atS: 1100, units: 15 }], 1100, 1100.5, HALF_LIFE)).toBeCloseTo(10 + weight * 20, 12);
    // A silent fraction of a second lowers it by as little.
    expect(currentDemand(10, [], 1100, 1100.5, HALF_LIFE)).toBeCloseTo(10 * (1 - weight), 12);
  });

  it('ignores buckets before the second it was observed until', () => {
    expect(currentDemand(10, [{ atS: 1099, units: 500 }], 1100, 1101, HALF_LIFE)).toBeCloseTo(
      10 * 2 ** (-1 / HALF_LIFE),
      12,
    );
  });
});
