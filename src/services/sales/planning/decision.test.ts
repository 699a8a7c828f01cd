import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide } from './decision.ts';
import { type DemandBucket, FAST_HALF_LIFE_SHARE, foldDemand } from './demand.ts';
import { normalQuantile } from './normal-quantile.ts';

const base: DecisionInput = {
  demandPerSecond: 2,
  demandStdDev: 1,
  leadTimeS: 100,
  serviceLevel: 0.95,
  reorderQuantity: 10,
  orderMultiple: 1,
  maxOrderQuantity: null,
  coverS: 120,
};

describe('normalQuantile', () => {
  it('gives the usual safety factors', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6449, 4);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263, 4);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263, 4);
  });
});

describe('decide', () => {
  it('reorders at demand during the lead time plus safety stock', () => {
    // 2/s × 100 s = 200, plus 1.645 × 1 × √100 = 16.4 → 217.
    const decision = decide(base);
    expect(decision.reorderPoint).toBe(217);
    expect(decision.safetyStock).toBe(17);
  });

  it('holds more safety stock for a higher service level', () => {
    const levels = [0.5, 0.9, 0.95, 0.99, 0.999].map((serviceLevel) => decide({ ...base, serviceLevel }).reorderPoint);
    expect(levels[0]).toBe(200);
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThan(levels[i - 1]!);
    expect(decide({ ...base, serviceLevel: 0.99 }).reorderPoint).toBe(224);
  });

  it('needs no safety stock for demand that does not vary', () => {
    expect(decide({ ...base, demandStdDev: 0 }).reorderPoint).toBe(200);
  });

  it('with no demand reorders only when empty and orders the operator batch', () => {
    expect(decide({ ...base, demandPerSecond: 0, demandStdDev: 0 })).toEqual({
      reorderPoint: 0,
      orderQuantity: 10,
      safetyStock: 0,
    });
  });

  it('orders enough for the cover period, at least the operator batch', () => {
    expect(decide({ ...base, leadTimeS: 10 }).orderQuantity).toBe(240);
    expect(decide({ ...base, demandPerSecond: 0.01, leadTimeS: 10 }).orderQuantity).toBe(10);
  });

  it('orders at least the demand of one lead time, which is longer than the cover period here', () => {
    expect(decide({ ...base, leadTimeS: 300 }).orderQuantity).toBe(600);
  });

  it('rounds the order up to the factory multiple', () => {
    expect(decide({ ...base, leadTimeS: 10, orderMultiple: 100 }).orderQuantity).toBe(300);
    expect(decide({ ...base, demandPerSecond: 0, orderMultiple: 12 }).orderQuantity).toBe(12);
  });

  it('caps the order at the largest multiple within maxOrderQuantity', () => {
    expect(decide({ ...base, leadTimeS: 10, maxOrderQuantity: 150 }).orderQuantity).toBe(150);
    expect(decide({ ...base, leadTimeS: 10, orderMultiple: 100, maxOrderQuantity: 250 }).orderQuantity).toBe(200);
    // Below one multiple the cap itself is the order.
    expect(decide({ ...base, orderMultiple: 100, maxOrderQuantity: 60 }).orderQuantity).toBe(60);
  });

  it('lets the cap win over the operator batch', () => {
    expect(decide({ ...base, demandPerSecond: 0, reorderQuantity: 50, maxOrderQuantity: 40 }).orderQuantity).toBe(40);
  });
});

describe('decide with a slow and a fast demand estimate', () => {
  it('sets the point by the larger and the quantity by the smaller', () => {
    const rising = decide({ ...base, leadTimeS: 10, demandPerSecond: 2, fastDemandPerSecond: 8, demandStdDev: 0 });
    expect(rising.reorderPoint).toBe(80);
    expect(rising.orderQuantity).toBe(240);
    const falling = decide({ ...base, leadTimeS: 10, demandPerSecond: 8, fastDemandPerSecond: 2, demandStdDev: 0 });
    expect(falling.reorderPoint).toBe(80);
    expect(falling.orderQuantity).toBe(240);
  });

  it('is the one-estimate decision when both agree or the fast one is not given', () => {
    expect(decide({ ...base, fastDemandPerSecond: base.demandPerSecond })).toEqual(decide(base));
  });

  describe('over a flash sale', () => {
    // 1 unit a second until 1300, 40 from then until 1400, then the excess halving every 10 s; a lead
    // time of 10 s, a cover of 10 s, half-lives of 20 s and 5 s.
    const HALF_LIFE = 20;
    const buckets: DemandBucket[] = [];
    for (let t = 1000; t < 1600; t++) {
      buckets.push({ atS: t, units: t < 1300 ? 1 : t < 1400 ? 40 : Math.round(1 + 39 * 2 ** (-(t - 1400) / 10)) });
    }
    const sale: DecisionInput = { ...base, leadTimeS: 10, coverS: 10, demandStdDev: 0, reorderQuantity: 1 };
    const at = (untilS: number) => {
      const start = { perSecond: 0, variance: 0, observedUntilS: 1000 };
      const slow = foldDemand(start, buckets, untilS, HALF_LIFE).perSecond;
      const fast = foldDemand(start, buckets, untilS, HALF_LIFE * FAST_HALF_LIFE_SHARE).perSecond;
      return {
        before: decide({ ...sale, demandPerSecond: slow }),
        now: decide({ ...sale, demandPerSecond: slow, fastDemandPerSecond: fast }),
      };
    };

    it('raises the reorder point faster at the surge start', () => {
      for (const untilS of [1302, 1305, 1310]) {
        const { before, now } = at(untilS);
        expect(now.reorderPoint, `at ${untilS}`).toBeGreaterThan(before.reorderPoint);
      }
      // Five seconds in: about half of the surge's demand over a lead time, where one estimate saw a sixth.
      const { before, now } = at(1305);
      expect(now.reorderPoint).toBeGreaterThan(200);
      expect(before.reorderPoint).toBeLessThan(80);
    });

    it('lowers the order quantity faster while the surge decays', () => {
      for (const untilS of [1405, 1410, 1420]) {
        const { before, now } = at(untilS);
        expect(now.orderQuantity, `at ${untilS}`).toBeLessThan(before.orderQuantity);
      }
      // Twenty seconds into the decay (demand about 11 a second): an order for under 20 a second, where
      // one estimate still ordered for 30.
      const { before, now } = at(1420);
      expect(now.orderQuantity).toBeLessThan(200);
      expect(before.orderQuantity).toBeGreaterThan(290);
    });

    it('changes nothing at steady demand', () => {
      const { before, now } = at(1300);
      expect(now).toEqual(before);
    });
  });
});
