import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide } from './decision.ts';
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
