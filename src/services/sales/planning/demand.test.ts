import { describe, expect, it } from 'vitest';
import { type DemandBucket, type DemandState, foldDemand } from './demand.ts';

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
